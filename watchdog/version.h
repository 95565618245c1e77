/* The program's version: printed by vigil version, logged at start and
 * recorded with every audit run and heartbeat in the database. */
#ifndef WD_VERSION_H
#define WD_VERSION_H
#define VIGIL_VERSION "0.1.0"
#endif
