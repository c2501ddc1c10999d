"""Running the course for people: a student's own copy of an assignment (`start`), the gradebook as a CSV an LMS
takes (`export`), and a JupyterHub classroom on one machine (`hub`)."""
