CREATE SCHEMA app;

CREATE TABLE app.docs (id int PRIMARY KEY, level int NOT NULL);
ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_level ON app.docs USING (level < 5);
