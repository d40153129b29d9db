// Progressive enhancement for the inbox: live updates (server-sent events, fed by the same
// status changes as the API's long-poll) and deadline countdowns. Without it the pages still work.
'use strict';

function countdown() {
  for (const element of document.querySelectorAll('time[data-countdown]')) {
    const left = Date.parse(element.getAttribute('datetime')) - Date.now();
    if (Number.isNaN(left)) continue;
    const minutes = Math.floor(Math.abs(left) / 60000);
    const seconds = Math.floor((Math.abs(left) % 60000) / 1000);
    const text = `${Math.floor(minutes / 60)}h ${minutes % 60}m ${seconds}s`;
    element.textContent = left > 0 ? `in ${text}` : `passed ${text} ago`;
    element.title = element.getAttribute('datetime');
  }
}

async function refresh() {
  const main = document.querySelector('main[data-live]');
  const comment = document.querySelector('textarea');
  // Never throw away what a reviewer is typing.
  if (!main || (comment && comment.value !== '')) return;
  const page = await fetch(location.pathname + location.search, { credentials: 'same-origin' });
  if (!page.ok) return;
  const next = new DOMParser().parseFromString(await page.text(), 'text/html').querySelector('main[data-live]');
  if (next) main.replaceWith(next);
  countdown();
}

function listen() {
  const events = new EventSource('/inbox/events');
  events.addEventListener('change', (event) => {
    const main = document.querySelector('main[data-live]');
    if (main && main.dataset.request && main.dataset.request !== event.data) return;
    void refresh();
  });
}

countdown();
setInterval(countdown, 1000);
listen();
