/**
 * The learning tables, one additive migration of src/sinks/sqlite/database.ts: the windows' quantized YAMNet
 * embeddings around each episode (int8 + scale, ~1 KB a window) and the parents' feedback, every label kept in
 * order (the latest of an episode is the one that counts, earlier ones are never overwritten). A window is keyed by
 * the input's own clock (time_sec), not the wall clock: windows analysed in one batch share a millisecond.
 */
export const LEARNING_MIGRATION = `CREATE TABLE learning_windows (
     episode_id TEXT NOT NULL,
     at_ms INTEGER NOT NULL,
     time_sec REAL NOT NULL,
     level_dbfs REAL NOT NULL,
     cry REAL NOT NULL,
     yamnet_cry REAL NOT NULL,
     in_episode INTEGER NOT NULL,
     scale REAL NOT NULL,
     embedding BLOB NOT NULL,
     PRIMARY KEY (episode_id, time_sec)
   );
   CREATE INDEX learning_windows_at ON learning_windows (at_ms);
   CREATE TABLE learning_feedback (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     episode_id TEXT,
     at_ms INTEGER,
     label TEXT NOT NULL,
     source TEXT NOT NULL,
     created_ms INTEGER NOT NULL
   );
   CREATE INDEX learning_feedback_episode ON learning_feedback (episode_id);`;
