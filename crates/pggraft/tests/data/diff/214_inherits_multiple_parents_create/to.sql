CREATE SCHEMA app;

CREATE TABLE app.named (name text);
CREATE TABLE app.dated (created_on date);
CREATE TABLE app.documents (body text) INHERITS (app.named, app.dated);
