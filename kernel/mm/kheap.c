/* kmalloc glue: one lib/mm heap, locked, over page_alloc.  Lock order:
 * heap_lock, then pages_lock (the page provider runs under heap_lock). */
#include "core/console.h"
#include "core/spinlock.h"
#include "husk/err.h"
#include "mm/kheap.h"
#include "mm/pages.h"

static struct spinlock heap_lock = SPINLOCK_INIT;
static struct heap kheap;

static void *kheap_page_alloc(void *ctx, unsigned order)
{
	return page_alloc_va(order);
}

static void kheap_page_free(void *ctx, void *pages, unsigned order)
{
	int err = page_free_va(pages, order);

	if (err)
		pr_err("kheap: page_free(%p, %u) failed: %s", pages, order, husk_strerror(err));
}

static void kheap_error(void *ctx, int err, const void *ptr)
{
	/* Called with heap_lock held; logging takes only the console lock. */
	pr_err("kheap: misuse detected at %p: %s", ptr, husk_strerror(err));
}

int kheap_init(void)
{
	static const struct heap_page_ops ops = {
		.page_alloc = kheap_page_alloc,
		.page_free = kheap_page_free,
		.error = kheap_error,
		.ctx = NULL,
	};

	return heap_init(&kheap, &ops);
}

void *kmalloc(size_t size)
{
	void *p;

	spin_lock(&heap_lock);
	p = heap_alloc(&kheap, size);
	spin_unlock(&heap_lock);
	return p;
}

void *kcalloc(size_t n, size_t size)
{
	void *p;

	spin_lock(&heap_lock);
	p = heap_calloc(&kheap, n, size);
	spin_unlock(&heap_lock);
	return p;
}

void kfree(void *p)
{
	spin_lock(&heap_lock);
	heap_free(&kheap, p);
	spin_unlock(&heap_lock);
}

void kheap_get_stats(struct heap_stats *st)
{
	spin_lock(&heap_lock);
	heap_get_stats(&kheap, st);
	spin_unlock(&heap_lock);
}

int kheap_check(void)
{
	int err;

	spin_lock(&heap_lock);
	err = heap_check(&kheap);
	spin_unlock(&heap_lock);
	return err;
}
