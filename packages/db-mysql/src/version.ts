export const DB_MYSQL_VERSION = '0.1.0';
