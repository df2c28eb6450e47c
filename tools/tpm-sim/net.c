/* Socket helpers for husk-tpm-sim (see net.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "husk/err.h"

#include "net.h"

uint64_t net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int net_listen(uint16_t port, int *fd)
{
	struct sockaddr_in addr;
	int one = 1;
	int s;

	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		fprintf(stderr, "husk-tpm-sim: socket: %s\n", strerror(errno));
		return HUSK_ERR_IO;
	}
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(s, 16) != 0) {
		fprintf(stderr, "husk-tpm-sim: cannot listen on 127.0.0.1:%u: %s\n", port,
			strerror(errno));
		close(s);
		return HUSK_ERR_IO;
	}
	*fd = s;
	return 0;
}

int net_send_all(int fd, const uint8_t *buf, size_t len)
{
	uint64_t deadline = net_now_ms() + NET_SEND_TIMEOUT_MS;

	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			uint64_t now = net_now_ms();

			if (now >= deadline)
				return HUSK_ERR_TIMEOUT;
			if (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
				return HUSK_ERR_IO;
			continue;
		}
		return HUSK_ERR_IO;
	}
	return 0;
}
