/** The PostgreSQL connection string the app runs against (configured or embedded). */
export const DATABASE_URL = Symbol('DATABASE_URL');
