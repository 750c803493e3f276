CREATE SCHEMA app;
CREATE TABLE app.a (id int PRIMARY KEY, b_id int);
CREATE TABLE app.b (id int PRIMARY KEY, a_id int REFERENCES app.a);
ALTER TABLE app.a ADD FOREIGN KEY (b_id) REFERENCES app.b;
