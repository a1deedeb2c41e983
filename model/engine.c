/* netsave: placeholder, being written. */
typedef int ns_placeholder_engine;
