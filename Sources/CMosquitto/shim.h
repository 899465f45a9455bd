#ifndef LEVEE_CMOSQUITTO_SHIM_H
#define LEVEE_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#endif
