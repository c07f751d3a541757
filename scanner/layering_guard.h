/*
 * NAME
 *	layering_guard.h - make I/O libraries unusable in pure layers
 *
 * DESCRIPTION
 *	Force-included (-include) into every file of probes/ and reports/.
 *	Poisoning a type that uv.h, the mbedTLS headers, pcap.h or ares.h declare turns
 *	an #include of those headers into a compile error, so the rule "a probe
 *	never touches sockets or TLS" is enforced by the build, not by review.
 */
#pragma GCC poison uv_loop_s uv_stream_s uv_handle_s
#pragma GCC poison mbedtls_ssl_context mbedtls_ssl_config mbedtls_x509_crt
#pragma GCC poison pcap_t pcap_pkthdr
#pragma GCC poison ares_channel ares_options
