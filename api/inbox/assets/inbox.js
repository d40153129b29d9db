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

// One refresh at a time: a change that arrives during one runs it again afterwards, so a slower,
// older answer can never replace a newer one. And at most one a second: each refresh renders the
// whole page again on the server, and how often requests change is up to the agents.
const REFRESH_EVERY_MS = 1000;
let refreshing = null;
let refreshAgain = false;
let lastRefresh = 0;
function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      const wait = lastRefresh + REFRESH_EVERY_MS - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // Changes until now are in the answer to this fetch.
      refreshAgain = false;
      lastRefresh = Date.now();
      await refreshOnce();
    } while (refreshAgain);
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function refreshOnce() {
  const main = document.querySelector('main[data-live]');
  const comment = document.querySelector('textarea');
  // Never throw away what a reviewer is typing.
  if (!main || (comment && comment.value !== '')) return;
  const page = await fetch(location.pathname + location.search, { credentials: 'same-origin' });
  if (!page.ok) return;
  const next = new DOMParser().parseFromString(await page.text(), 'text/html').querySelector('main[data-live]');
  if (next) main.replaceWith(next);
  countdown();
  startPlayers();
}

// A session recording's player, where the page has one (asciinema-player is loaded on those pages).
function startPlayers() {
  if (!window.AsciinemaPlayer) return;
  for (const element of document.querySelectorAll('[data-cast]:not([data-started])')) {
    element.dataset.started = 'true';
    window.AsciinemaPlayer.create(element.dataset.cast, element, { fit: 'width', idleTimeLimit: 2 });
  }
}

function listen() {
  const events = new EventSource('/inbox/events');
  // A change between this page's render and the stream's (re)connection sends no event: catch up.
  // body[data-live] says the page follows changes from now on.
  events.addEventListener('open', () => {
    void refresh().then(() => (document.body.dataset.live = 'connected'));
  });
  events.addEventListener('error', () => delete document.body.dataset.live);
  events.addEventListener('change', (event) => {
    const main = document.querySelector('main[data-live]');
    if (main && main.dataset.request && main.dataset.request !== event.data) return;
    void refresh();
  });
}

countdown();
startPlayers();
setInterval(countdown, 1000);
// Only a signed-in page follows changes (the sign-in page has nothing live, and no session to stream with).
if (document.querySelector('main[data-live]')) listen();
