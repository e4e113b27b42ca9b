-- The table examples/students-online.yaml reads (MariaDB/MySQL, database `test`).
CREATE TABLE IF NOT EXISTS class_sessions (
  id INT AUTO_INCREMENT PRIMARY KEY,
  course VARCHAR(100) NOT NULL,
  starts_at DATETIME NOT NULL,
  enrolled INT NOT NULL
);
