// libzmq, as Debian's libzmq3-dev installs it (4.3.4, stable API only: no DRAFT).
#include <zmq.h>
