# mbedTLS: fetched from Debian sources and built freestanding + hosted (see helper).
