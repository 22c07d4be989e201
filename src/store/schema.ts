// The index's schema as numbered migrations. A snapshot records the version it was written
// with; opening runs every later migration, so an older workspace upgrades in place.

export const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source_file TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    estimate_expected REAL NOT NULL,
    estimate_max REAL NOT NULL,
    options TEXT NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    alert TEXT
  );
  CREATE TABLE remote_batches (
    key TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    strike INTEGER NOT NULL,
    input_file TEXT NOT NULL,
    item_count INTEGER NOT NULL,
    file_id TEXT,
    remote_id TEXT,
    adopted INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    raw_status TEXT,
    total INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    output_file_id TEXT,
    error_file_id TEXT,
    collected INTEGER NOT NULL DEFAULT 0,
    output_file TEXT,
    error_file TEXT,
    created_seq INTEGER NOT NULL
  );
  CREATE INDEX remote_batches_job ON remote_batches (job_id);
  CREATE TABLE items (
    job_id TEXT NOT NULL,
    id TEXT NOT NULL,
    line INTEGER NOT NULL,
    hash TEXT NOT NULL,
    model TEXT NOT NULL,
    state TEXT NOT NULL,
    strike INTEGER NOT NULL DEFAULT 0,
    batch_key TEXT,
    input_file TEXT,
    input_offset INTEGER,
    input_length INTEGER,
    twin TEXT,
    failure_class TEXT,
    failure_code TEXT,
    failure_message TEXT,
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0,
    estimated_cost REAL NOT NULL DEFAULT 0,
    result_file TEXT,
    result_offset INTEGER,
    result_length INTEGER,
    PRIMARY KEY (job_id, id)
  );
  CREATE INDEX items_state ON items (job_id, state);
  CREATE INDEX items_batch ON items (batch_key);
  CREATE INDEX items_line ON items (job_id, line);
  CREATE TABLE result_cache (
    hash TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    id TEXT NOT NULL,
    result_file TEXT NOT NULL,
    result_offset INTEGER NOT NULL,
    result_length INTEGER NOT NULL
  );
  CREATE TABLE spend (
    seq INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount REAL NOT NULL,
    day TEXT NOT NULL
  );
  CREATE INDEX spend_day ON spend (day);
  `,
  // 2: the Jobs view pages one batch's items of one state in line order; without this index a
  // state group of a million-item job is sorted on every expand.
  `
  CREATE INDEX items_batch_state_line ON items (job_id, batch_key, state, line);
  `,
  // 3: why a job is not being driven (never reached the provider, or the provider refused our
  // access), and settlements stored as what each one added: old rows held the job's running
  // total, so summing them counted a job's spend again on every retry.
  `
  ALTER TABLE jobs ADD COLUMN blocked_reason TEXT;
  ALTER TABLE items ADD COLUMN estimated_max REAL NOT NULL DEFAULT 0;
  CREATE TEMP TABLE settled_delta AS
    SELECT seq, amount - COALESCE(LAG(amount) OVER (PARTITION BY job_id ORDER BY seq), 0) AS delta
    FROM spend WHERE kind = 'settled';
  UPDATE spend SET amount = (SELECT delta FROM settled_delta WHERE settled_delta.seq = spend.seq) WHERE kind = 'settled';
  DROP TABLE settled_delta;
  `,
  // 4: a batch refused for capacity waits before it is sent again (not_before, epoch ms; how
  // many refusals in a row set the backoff), and the job says why it is waiting.
  `
  ALTER TABLE jobs ADD COLUMN waiting_reason TEXT;
  ALTER TABLE remote_batches ADD COLUMN not_before INTEGER;
  ALTER TABLE remote_batches ADD COLUMN capacity_refusals INTEGER NOT NULL DEFAULT 0;
  `,
  // 5: the Jobs view's top level shows every job's counts by state and cost after each poll;
  // summing a million-item job's rows took ~0.5 s. Per-job totals are kept instead, filled here
  // from the items, then maintained by triggers on every item UPDATE, so no event's write can
  // forget them. Items are only inserted and deleted a whole job at a time (its seeds, a million
  // rows in one go; `job.deleted`): a trigger on each row would slow those by a third or more,
  // so `insertSeeds` recounts the job once after inserting and `job.deleted` drops its totals.
  // (REPLACE's implicit delete fires no trigger, recursive_triggers being off: the recount covers it.)
  `
  CREATE TABLE job_item_counts (job_id TEXT NOT NULL, state TEXT NOT NULL, items INTEGER NOT NULL, PRIMARY KEY (job_id, state)) WITHOUT ROWID;
  CREATE TABLE job_item_cost (job_id TEXT PRIMARY KEY, cost REAL NOT NULL) WITHOUT ROWID;
  INSERT INTO job_item_counts (job_id, state, items) SELECT job_id, state, COUNT(*) FROM items GROUP BY job_id, state;
  INSERT INTO job_item_cost (job_id, cost) SELECT job_id, SUM(cost) FROM items GROUP BY job_id;
  CREATE TRIGGER items_state_counted AFTER UPDATE OF job_id, state ON items
    WHEN old.state IS NOT new.state OR old.job_id IS NOT new.job_id
  BEGIN
    UPDATE job_item_counts SET items = items - 1 WHERE job_id = old.job_id AND state = old.state;
    INSERT INTO job_item_counts (job_id, state, items) VALUES (new.job_id, new.state, 1)
      ON CONFLICT (job_id, state) DO UPDATE SET items = items + 1;
  END;
  CREATE TRIGGER items_cost_summed AFTER UPDATE OF job_id, cost ON items
    WHEN old.cost IS NOT new.cost OR old.job_id IS NOT new.job_id
  BEGIN
    UPDATE job_item_cost SET cost = cost - old.cost WHERE job_id = old.job_id;
    INSERT INTO job_item_cost (job_id, cost) VALUES (new.job_id, new.cost)
      ON CONFLICT (job_id) DO UPDATE SET cost = cost + excluded.cost;
  END;
  `,
  // 6: whether the user resumed a job after cancelling it: a batch whose cancel was already on its
  // way comes back cancelled, and its items are then sent again instead of staying cancelled.
  `
  ALTER TABLE jobs ADD COLUMN resumed INTEGER NOT NULL DEFAULT 0;
  `,
  // 7: the provider seam. What a batch staged is an opaque reference, not an OpenAI file id, and
  // the moment a create was sent is kept, so a restarted process looks for that batch (by tag,
  // idempotency key or, for Anthropic, time and size) before creating anything again. Result
  // references stay in the journal only: results are fetched from the batch as retrieved.
  `
  ALTER TABLE remote_batches RENAME COLUMN file_id TO staged_ref;
  ALTER TABLE remote_batches ADD COLUMN submitting_at INTEGER;
  `,
  // 8: a job's figures (issue 10): what its estimate said in tokens and at the sync price, and
  // what it spent by strike (batch strikes 0–2, the sync strike 3) beside what the same usage
  // costs at the sync price, kept per job like schema 5's totals so neither the Jobs view nor
  // `status` scans items. An item's cost accumulates over its attempts, so spend by strike is
  // booked as each attempt adds it (a trigger, at the strike the item is in when its outcome is
  // recorded). Rows from before: their whole cost goes to the strike the item is at now, at
  // their own price as the sync price (no saving claimed that was not recorded).
  `
  ALTER TABLE jobs ADD COLUMN estimate_input_tokens INTEGER;
  ALTER TABLE jobs ADD COLUMN estimate_output_tokens INTEGER;
  ALTER TABLE jobs ADD COLUMN estimate_naive_sync REAL;
  ALTER TABLE items ADD COLUMN sync_cost REAL NOT NULL DEFAULT 0;
  UPDATE items SET sync_cost = cost WHERE cost <> 0;
  CREATE TABLE job_strike_spend (
    job_id TEXT NOT NULL,
    strike INTEGER NOT NULL,
    cost REAL NOT NULL,
    sync_cost REAL NOT NULL,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    PRIMARY KEY (job_id, strike)
  ) WITHOUT ROWID;
  INSERT INTO job_strike_spend (job_id, strike, cost, sync_cost, tokens_in, tokens_out)
    SELECT job_id, strike, SUM(cost), SUM(sync_cost), SUM(tokens_in), SUM(tokens_out) FROM items
    WHERE cost <> 0 OR tokens_in <> 0 OR tokens_out <> 0 GROUP BY job_id, strike;
  CREATE TRIGGER items_strike_spend AFTER UPDATE OF cost, sync_cost, tokens_in, tokens_out ON items
    WHEN old.cost IS NOT new.cost OR old.sync_cost IS NOT new.sync_cost OR old.tokens_in IS NOT new.tokens_in OR old.tokens_out IS NOT new.tokens_out
  BEGIN
    INSERT INTO job_strike_spend (job_id, strike, cost, sync_cost, tokens_in, tokens_out)
      VALUES (new.job_id, new.strike, new.cost - old.cost, new.sync_cost - old.sync_cost, new.tokens_in - old.tokens_in, new.tokens_out - old.tokens_out)
      ON CONFLICT (job_id, strike) DO UPDATE SET
        cost = cost + excluded.cost, sync_cost = sync_cost + excluded.sync_cost,
        tokens_in = tokens_in + excluded.tokens_in, tokens_out = tokens_out + excluded.tokens_out;
  END;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
