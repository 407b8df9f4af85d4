/*
 * Reference for bench/sml-throughput.mjs: libsml (Debian libsml-dev) parsing the same dumps.
 * Finds transport frames the simple way (start 1B1B1B1B 01010101, end 1B1B1B1B 1A xx crc crc),
 * then hands each frame's payload to sml_file_parse(), as libsml's own transport reader does.
 * This corresponds to the "messages" stage of our benchmark (libsml does not check the
 * transport CRC in sml_file_parse, nor resynchronise inside frames).
 *
 *   cc -O2 -o libsml-throughput libsml-throughput.c -lsml -luuid
 *   ./libsml-throughput SECONDS FILE...    -> prints: frames passes seconds
 */
#include <sml/sml_file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const unsigned char START[8] = {0x1b, 0x1b, 0x1b, 0x1b, 0x01, 0x01, 0x01, 0x01};
static const unsigned char END[5] = {0x1b, 0x1b, 0x1b, 0x1b, 0x1a};

struct frame { unsigned char *bytes; size_t len; };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s SECONDS FILE...\n", argv[0]); return 2; }
  double budget = atof(argv[1]);
  struct frame *frames = NULL;
  size_t nframes = 0;
  for (int a = 2; a < argc; a++) {
    FILE *f = fopen(argv[a], "rb");
    if (!f) { perror(argv[a]); return 3; }
    static unsigned char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (size_t i = 0; i + 8 <= n;) {
      if (memcmp(buf + i, START, 8) != 0) { i++; continue; }
      size_t j = i + 8;
      while (j + 8 <= n && memcmp(buf + j, END, 5) != 0) j += 4; /* escapes sit on the 4-byte grid */
      if (j + 8 > n) break;
      frames = realloc(frames, (nframes + 1) * sizeof *frames);
      frames[nframes].len = j - (i + 8);
      frames[nframes].bytes = malloc(frames[nframes].len);
      memcpy(frames[nframes].bytes, buf + i + 8, frames[nframes].len);
      nframes++;
      i = j + 8;
    }
  }
  /* sml_file_parse may modify nothing, but copy per call anyway so every pass sees fresh input. */
  unsigned char *work = malloc(1 << 20);
  double t0 = now(), elapsed = 0;
  long passes = 0, parsed = 0;
  while (elapsed < budget) {
    for (size_t k = 0; k < nframes; k++) {
      memcpy(work, frames[k].bytes, frames[k].len);
      sml_file *file = sml_file_parse(work, frames[k].len);
      if (file) { parsed += file->messages_len; sml_file_free(file); }
    }
    passes++;
    elapsed = now() - t0;
  }
  printf("%zu %ld %.3f %ld\n", nframes, passes, elapsed, parsed);
  return 0;
}
