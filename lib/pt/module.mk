# lib/pt: x86-64 page-table editor (IGVM builder at build time, kernel at run time).
$(eval $(call portable_lib,pt,lib/pt/pt.c))
$(eval $(call unit_test,test_pt,tests/unit/test_pt.c,pt))
