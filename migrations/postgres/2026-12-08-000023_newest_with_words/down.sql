DROP FUNCTION newest_with_words(text[], bigint);
