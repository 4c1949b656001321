/*
 * DCMI "Get Power Reading" for OpenIPMI's ipmi_sim, which implements IPMI
 * but no DCMI commands. Loaded with `loadlib "dcmi_power.so" "<file>"`: the
 * file holds the watts the simulated BMC reports ("fail" answers node busy,
 * a missing file answers "not supported in present state", as BMCs without
 * a power meter do). The reply layout is DCMI 1.5 section 6.6.1. The test
 * (ipmi_sim_test.go) builds it with gcc against libopenipmi-dev.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <OpenIPMI/serv.h>
#include <OpenIPMI/mcserv.h>

#define DCMI_GROUP 0xdc
#define DCMI_CMD_GET_POWER_READING 0x02

static char power_file[4096];

static void put16(unsigned char *p, unsigned v) { p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; }
static void put32(unsigned char *p, unsigned long v) {
    p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; p[2] = (v >> 16) & 0xff; p[3] = (v >> 24) & 0xff;
}

static void handle_dcmi(lmc_data_t *mc, msg_t *msg, unsigned char *rdata,
                        unsigned int *rdata_len, void *cb_data)
{
    char buf[64] = "";
    FILE *f;
    unsigned w;

    rdata[1] = DCMI_GROUP;
    *rdata_len = 2;
    if (msg->cmd != DCMI_CMD_GET_POWER_READING) {
        rdata[0] = 0xc1; /* invalid command */
        return;
    }
    f = fopen(power_file, "r");
    if (!f) {
        rdata[0] = 0xd5; /* not supported in present state */
        return;
    }
    if (!fgets(buf, sizeof(buf), f))
        buf[0] = 0;
    fclose(f);
    if (strncmp(buf, "fail", 4) == 0) {
        rdata[0] = 0xc0; /* node busy */
        return;
    }
    w = (unsigned) strtoul(buf, NULL, 10);
    rdata[0] = 0;
    put16(rdata + 2, w);         /* current */
    put16(rdata + 4, w ? w - 1 : 0); /* minimum over the period */
    put16(rdata + 6, w + 1);     /* maximum */
    put16(rdata + 8, w);         /* average */
    put32(rdata + 10, (unsigned long) time(NULL));
    put32(rdata + 14, 1000);     /* statistics period, ms */
    rdata[18] = 0x40;            /* power measurement active */
    *rdata_len = 19;
}

int ipmi_sim_module_init(sys_data_t *sys, const char *options)
{
    snprintf(power_file, sizeof(power_file), "%s", options ? options : "");
    ipmi_emu_register_group_extension_handler(DCMI_GROUP, handle_dcmi, NULL);
    return 0;
}

int ipmi_sim_module_post_init(sys_data_t *sys) { return 0; }
