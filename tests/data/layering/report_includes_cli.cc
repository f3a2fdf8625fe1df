// A file of module "report" that includes a header of module "cli": the include check must refuse it.
#include "ksearch/common/error.h"
#include "ksearch/cli/commands.h"
