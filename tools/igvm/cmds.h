/* husk-igvm's subcommands; each takes argv with its own name at argv[0] and
 * returns the process exit status (0 ok, 1 failure, 2 usage). */
#ifndef HUSK_TOOLS_IGVM_CMDS_H
#define HUSK_TOOLS_IGVM_CMDS_H

int cmd_build(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
