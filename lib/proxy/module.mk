# lib/proxy: the framing between husk and husk-kbs-proxy (docs/proxy.md):
# encoders, the resynchronising decoder, payload parsers, and husk's client
# end (HELLO, REQUEST/RESPONSE with retransmission).  Portable: husk's KBS
# client links build/kernel/libproxy.a, tools/kbs-proxy the host build.
# CRC-32 is lib/crc's, so libcrc.a is linked after libproxy.a.
PROXY_SRCS := lib/proxy/proxy_frame.c lib/proxy/proxy_client.c
$(eval $(call portable_lib,proxy,$(PROXY_SRCS)))
# Built with `all` in its kernel flavour whether or not an image links it,
# so that the freestanding build stays warning-free.
ALL_TARGETS += $(BUILD)/kernel/libproxy.a

$(eval $(call unit_test,test_proxy_frame,tests/unit/test_proxy_frame.c,proxy crc))
$(eval $(call unit_test,test_proxy_client,tests/unit/test_proxy_client.c,proxy crc))
$(eval $(call fuzz_target,fuzz_proxy_frame,tests/fuzz/fuzz_proxy_frame.c,proxy crc))
