CREATE SCHEMA app;

CREATE TABLE app.departments (id int PRIMARY KEY, manager_id int);
CREATE TABLE app.employees (id int PRIMARY KEY, department_id int REFERENCES app.departments (id));
ALTER TABLE app.departments ADD CONSTRAINT departments_manager_fk FOREIGN KEY (manager_id) REFERENCES app.employees (id);
