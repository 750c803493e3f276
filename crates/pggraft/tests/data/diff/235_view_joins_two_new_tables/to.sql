CREATE SCHEMA app;

CREATE TABLE app.authors (id int PRIMARY KEY, name text);
CREATE TABLE app.books (id int PRIMARY KEY, author_id int REFERENCES app.authors, title text);
CREATE VIEW app.book_list AS SELECT b.title, a.name AS author FROM app.books b JOIN app.authors a ON a.id = b.author_id;
