/* netsave: the model `netsave run` uses when given no file. */
#ifndef NS_CLI_DEFAULT_MODEL_H
#define NS_CLI_DEFAULT_MODEL_H

#include <stddef.h>

extern const char *const ns_default_model_name;
extern const char *const ns_default_model_text;
extern const size_t ns_default_model_len;

#endif
