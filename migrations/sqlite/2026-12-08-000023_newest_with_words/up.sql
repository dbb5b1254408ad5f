-- PostgreSQL's migration of this name adds the function newest_with_words, so that its planner
-- reads each word's newest issues by walking the primary key. SQLite reads them one word at a
-- time in process (store::issues::word_hits), which walks the same key: nothing to change here.
SELECT 1;
