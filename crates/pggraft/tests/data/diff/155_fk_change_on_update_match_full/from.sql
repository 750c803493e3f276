CREATE SCHEMA app;

CREATE TABLE app.parent (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE app.child (id int PRIMARY KEY, a int, b int,
    CONSTRAINT child_parent_fk FOREIGN KEY (a, b) REFERENCES app.parent);
