# tools/kbs-proxy: husk-kbs-proxy, the untrusted host process that forwards
# husk's KBS HTTP exchanges (frames on husk's COM3, a UNIX socket on the
# host) to a Key Broker Service with libcurl.  See docs/proxy.md.
HUSK_KBS_PROXY := $(BUILD)/host/tools/husk-kbs-proxy

KBS_PROXY_SRCS := tools/kbs-proxy/main.c tools/kbs-proxy/http.c
KBS_PROXY_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(KBS_PROXY_SRCS))
KBS_PROXY_CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

$(KBS_PROXY_OBJS): HOSTCFLAGS_EXTRA += $(shell pkg-config --cflags libcurl 2>/dev/null)

$(HUSK_KBS_PROXY): $(KBS_PROXY_OBJS) $(BUILD)/host/libproxy.a $(BUILD)/host/libcrc.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOSTCC) -o $@ $^ $(KBS_PROXY_CURL_LIBS)

ALL_TARGETS += $(HUSK_KBS_PROXY)

.PHONY: kbs-proxy-test
# The proxy against a loopback HTTP server, talked to over its socket by an
# independent Python implementation of the framing (tests/kbs/test_proxy.py).
kbs-proxy-test: $(HUSK_KBS_PROXY)
	$(Q)/usr/bin/python3 tests/kbs/test_proxy.py --proxy $(HUSK_KBS_PROXY)
