/* netsave: the model `netsave run` uses when given no file, embedded in
 * the binary: the INI file first, then the CSV tables it names. */
#ifndef NS_CLI_DEFAULT_MODEL_H
#define NS_CLI_DEFAULT_MODEL_H

#include <stddef.h>

#include "params/params.h"

extern const struct ns_memory_file ns_default_model_files[];
extern const size_t ns_default_model_n_files;

#endif
