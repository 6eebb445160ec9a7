#include "signpost/directory/Hsds.hpp"
// Implemented by the HSDS work package (see Hsds.hpp).
