/*
 * The version of clobvault, one for every program (--version) and the
 * package.  A build may set it with -DCLOBVAULT_VERSION=\"X.Y.Z\".
 */
#ifndef CV_VERSION_H
#define CV_VERSION_H

#ifndef CLOBVAULT_VERSION
#define CLOBVAULT_VERSION	"0.1.0"
#endif

#endif
