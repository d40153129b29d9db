# One image for every role: the API, the orchestrator worker, the executor worker, migrations.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --include=optional && npm cache clean --force
COPY . .
# Workers load this pre-built bundle instead of running webpack at start-up.
RUN npx tsx tools/bundle-workflows.ts /app/dist/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
USER node
CMD ["npm", "run", "api"]
