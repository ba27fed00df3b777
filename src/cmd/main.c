/* pidcap's entry point: parses the command line and hands it to the
 * program it names (live capture, -r, top, exporter). Not for any of
 * their work: each lives in its own file of cmd/. */
#include <stdio.h>
#include "cmd/exporter.h"
#include "cmd/live.h"
#include "cmd/offline.h"
#include "cmd/options.h"
#include "cmd/top.h"

int main(int argc, char **argv)
{
	struct pc_options opt;
	char err[1024];
	int ret;

	if (pc_options_parse(&opt, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "pidcap: %s\nTry 'pidcap --help' for more information.\n", err);
		pc_options_free(&opt);
		return 2;
	}
	if (opt.help) {
		pc_options_usage(stdout, opt.mode);
		ret = 0;
	} else if (opt.version) {
		printf("pidcap %s\n", PIDCAP_VERSION);
		ret = 0;
	} else if (opt.mode == PC_MODE_TOP) {
		ret = pc_top_main(&opt);
	} else if (opt.mode == PC_MODE_EXPORTER) {
		ret = pc_exporter_main(&opt);
	} else if (opt.list_ifaces) {
		ret = pc_live_list_interfaces();
	} else if (opt.read_file) {
		ret = pc_offline_run(&opt);
	} else {
		ret = pc_live_main(&opt);
	}
	pc_options_free(&opt);
	return ret;
}
