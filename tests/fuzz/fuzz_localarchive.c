/* Fuzz target: the archive transports (oci-archive:, docker-archive:).
 *
 * The input is taken as an archive file (held in a memfd, opened through
 * /proc/self/fd so nothing is written to disk) and read the way `bootgate
 * inspect` and the layer scan would: open the source, resolve the image for
 * linux/amd64, then stream every layer through the verified blob reader.
 * This exercises the tar index (name normalisation, traversal and duplicate
 * refusal, link following), index.json/oci-layout handling, manifest.json
 * parsing and manifest synthesis, and bg_blob's size and digest checks. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bootgate/image.h"
#include "bootgate/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_image(const char *image)
{
	bg_source *s = NULL;
	bg_error err = {0};
	if (bg_source_open(image, NULL, &s, &err) < 0)
		return;
	bg_platform amd64 = {.os = (char *)"linux", .architecture = (char *)"amd64"};
	bg_image *img = NULL;
	if (bg_image_resolve(s, &amd64, &img, &err) == 0) {
		for (size_t i = 0; i < img->manifest->n_layers; i++) {
			bg_blob *b = NULL;
			if (bg_source_open_blob(s, &img->manifest->layers[i], &b, &err) == 0)
				(void)bg_blob_drain(b, &err);
			bg_blob_close(b);
		}
		bg_image_free(img);
	}
	bg_source_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4 * 1024 * 1024)
		return 0;
	int fd = memfd_create("fuzz-archive", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t done = 0;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0) {
			close(fd);
			return 0;
		}
		done += (size_t)n;
	}
	char image[96];
	snprintf(image, sizeof image, "oci-archive:/proc/self/fd/%d", fd);
	read_image(image);
	snprintf(image, sizeof image, "docker-archive:/proc/self/fd/%d", fd);
	read_image(image);
	snprintf(image, sizeof image, "docker-archive:/proc/self/fd/%d:@1", fd);
	read_image(image);
	close(fd);
	return 0;
}
