export const baselineActivities = {
  async noop(): Promise<void> {},
  async startedAt(): Promise<number> {
    return Date.now();
  },
};
