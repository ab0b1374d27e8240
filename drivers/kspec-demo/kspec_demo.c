// SPDX-License-Identifier: GPL-2.0
/*
 * kspec's demo driver: a misc device, /dev/kspec_demo, that keeps the last line written
 * to it. A write is parsed (trailing newline cut, checked) and then stored; the parse and
 * the store are functions of their own (noinline), so a function_graph trace shows the
 * write path as a tree worth asserting: specs/driver-kspec-demo.spec.ts does.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>

#define KSPEC_DEMO_MAX 64

static DEFINE_MUTEX(kspec_demo_lock);
static char kspec_demo_value[KSPEC_DEMO_MAX];
static size_t kspec_demo_len;

/* How many characters of a write make the value: up to a newline, at most KSPEC_DEMO_MAX. */
static noinline size_t kspec_demo_parse(const char *buf, size_t len)
{
	size_t n = 0;

	while (n < len && n < KSPEC_DEMO_MAX && buf[n] != '\n')
		n++;
	return n;
}

static noinline void kspec_demo_store(const char *buf, size_t len)
{
	mutex_lock(&kspec_demo_lock);
	memcpy(kspec_demo_value, buf, len);
	kspec_demo_len = len;
	mutex_unlock(&kspec_demo_lock);
}

static noinline ssize_t kspec_demo_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	char buf[KSPEC_DEMO_MAX];
	size_t n = min_t(size_t, len, KSPEC_DEMO_MAX);

	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	kspec_demo_store(buf, kspec_demo_parse(buf, n));
	return len;
}

static ssize_t kspec_demo_read(struct file *file, char __user *ubuf, size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&kspec_demo_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, kspec_demo_value, kspec_demo_len);
	mutex_unlock(&kspec_demo_lock);
	return ret;
}

static const struct file_operations kspec_demo_fops = {
	.owner = THIS_MODULE,
	.read = kspec_demo_read,
	.write = kspec_demo_write,
	.llseek = default_llseek,
};

static struct miscdevice kspec_demo_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kspec_demo",
	.fops = &kspec_demo_fops,
	.mode = 0666,
};

module_misc_device(kspec_demo_dev);

MODULE_DESCRIPTION("kspec's demo driver: a misc device whose write path a spec asserts");
MODULE_LICENSE("GPL");
