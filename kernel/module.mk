# kernel build
