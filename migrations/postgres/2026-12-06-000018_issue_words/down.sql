DROP TABLE issue_words;
