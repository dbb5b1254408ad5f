-- The console's language chosen by each user (`id` or `en`), kept across sessions and devices;
-- NULL until the user picks one (the login page's language is used then).
ALTER TABLE users ADD COLUMN language TEXT;
