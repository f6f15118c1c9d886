import type pg from 'pg';

/** The tables of a member's database but the migrations' own bookkeeping, by name. */
async function tablesOf(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY table_name",
  );
  return rows.map((row) => row.name);
}

async function columnsOf(pool: pg.Pool, table: string): Promise<{ name: string; serial: boolean }[]> {
  const { rows } = await pool.query<{ name: string; serial: boolean }>(
    "SELECT column_name AS name, coalesce(column_default LIKE 'nextval(%', false) AS serial FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    [table],
  );
  return rows;
}

/** Every row of every table, each table's rows in the order of all its columns: two databases holding the same compare equal. */
export async function allRows(pool: pg.Pool): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {};
  for (const table of await tablesOf(pool)) {
    const columns = await columnsOf(pool, table);
    const order = columns.map((_, index) => index + 1).join(', ');
    rows[table] = (await pool.query(`SELECT * FROM ${table} ORDER BY ${order}`)).rows;
  }
  return rows;
}

/**
 * Writes into `to` the rows `from` holds in the tables `to` has, in the columns `to` has: what
 * a release with `to`'s schema wrote, where that release and `from`'s write those tables alike.
 * Serial columns' sequences are moved past the copied rows, as writing them would have.
 */
export async function copyRowsInto(from: pg.Pool, to: pg.Pool): Promise<void> {
  for (const table of await tablesOf(to)) {
    const columns = await columnsOf(to, table);
    const names = columns.map((column) => column.name).join(', ');
    const placeholders = columns.map((_, index) => `$${index + 1}`).join(', ');
    const { rows } = await from.query<Record<string, unknown>>(`SELECT ${names} FROM ${table}`);
    for (const row of rows) await to.query(`INSERT INTO ${table} (${names}) VALUES (${placeholders})`, columns.map((column) => row[column.name]));
    for (const serial of columns.filter((column) => column.serial)) {
      await to.query(`SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(${serial.name}) FROM ${table}), 0) + 1, false)`, [table, serial.name]);
    }
  }
}
