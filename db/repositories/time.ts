/** Timestamps are ISO-8601 UTC strings: sortable as text and readable in any SQLite browser. */
export const now = (): string => new Date().toISOString();
