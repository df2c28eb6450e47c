# lib/mm: buddy page allocator and small-object heap (portable; the kernel
# adds locking and the physical-to-virtual mapping).
$(eval $(call portable_lib,mm,lib/mm/buddy.c lib/mm/heap.c))
$(eval $(call unit_test,test_buddy,tests/unit/test_buddy.c,mm))
$(eval $(call unit_test,test_heap,tests/unit/test_heap.c,mm))
