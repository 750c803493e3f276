CREATE SCHEMA app;

CREATE TABLE app.nodes (id int PRIMARY KEY, next_id int,
    CONSTRAINT nodes_next_fk FOREIGN KEY (next_id) REFERENCES app.nodes DEFERRABLE INITIALLY DEFERRED);
