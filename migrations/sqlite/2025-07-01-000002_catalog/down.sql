DROP TABLE commune_procedures;
DROP TABLE procedure_versions;
DROP TABLE procedures;
