/* Options files checked before PETSc reads them (SLOptionsFilesCheck, sys.h): PETSc 3.18 takes a binary file as
 * an options file without complaint, lets a repeated YAML key silently override the first, and reports a YAML
 * syntax error as "YAML parser loading error" without file or line. Plain C (no PETSc): it runs before
 * SlepcInitialize, on one rank. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <petscsys.h>
#include <splinelens/sys.h>

/* Not text: a NUL byte, a control character other than tab/CR/LF, or invalid UTF-8. */
static int SLCheckText(const char path[], const unsigned char *b, size_t n, char msg[], size_t len)
{
  size_t line = 1;

  for (size_t i = 0; i < n; i++) {
    unsigned char c = b[i];
    int           more;

    if (c == '\n') line++;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      snprintf(msg, len, "%s:%zu: not a text file (byte 0x%02x at offset %zu); an options file is YAML or 'option value' lines", path, line, c, i);
      return 1;
    }
    if (c < 0x80) continue;
    more = (c >= 0xC2 && c <= 0xDF) ? 1 : (c >= 0xE0 && c <= 0xEF) ? 2 : (c >= 0xF0 && c <= 0xF4) ? 3 : -1;
    for (int k = 1; more > 0 && k <= more; k++)
      if (i + (size_t)k >= n || (b[i + (size_t)k] & 0xC0) != 0x80) more = -1;
    if (more < 0) {
      snprintf(msg, len, "%s:%zu: not a text file (byte 0x%02x at offset %zu is not UTF-8 text)", path, line, c, i);
      return 1;
    }
    i += (size_t)more;
  }
  return 0;
}

typedef struct {
  char  *name;
  size_t line;
} SLYAMLOption;

typedef struct {
  const char      *path;
  yaml_document_t *doc;
  SLYAMLOption    *opt;
  size_t           n, cap;
  char            *msg;
  size_t           len;
} SLYAMLWalk;

/* Record the option a key makes (prefix + key); a second one is a duplicate key (or the same option written
 * twice through nesting: sl_train: {max_steps: ..} and sl_train_max_steps: ..). */
static int SLYAMLAdd(SLYAMLWalk *w, const char name[], size_t line)
{
  for (size_t i = 0; i < w->n; i++)
    if (!strcmp(w->opt[i].name, name)) {
      snprintf(w->msg, w->len, "%s:%zu: duplicate key: option -%s is already set at line %zu", w->path, line, name, w->opt[i].line);
      return 1;
    }
  if (w->n == w->cap) {
    SLYAMLOption *more = realloc(w->opt, (w->cap = 2 * w->cap + 16) * sizeof(*more));
    if (!more) {
      snprintf(w->msg, w->len, "%s: out of memory", w->path);
      return 1;
    }
    w->opt = more;
  }
  w->opt[w->n].name = strdup(name);
  w->opt[w->n].line = line;
  if (!w->opt[w->n].name) {
    snprintf(w->msg, w->len, "%s: out of memory", w->path);
    return 1;
  }
  w->n++;
  return 0;
}

/* The mapping structure PETSc accepts (src/sys/objects/optionsyaml.c): a mapping of scalar keys; a value is a
 * scalar, a sequence (a list) or a mapping (its keys prefixed with "key_"); "<<" merges without a prefix and keys
 * starting with "$$" are ignored. */
static int SLYAMLWalkMapping(SLYAMLWalk *w, yaml_node_t *node, const char prefix[], int depth)
{
  if (depth > 20) { /* PETSc's option prefix stack is shallow */
    snprintf(w->msg, w->len, "%s:%zu: YAML nested too deeply", w->path, (size_t)node->start_mark.line + 1);
    return 1;
  }
  if (node->type == YAML_SCALAR_NODE && node->data.scalar.length == 0) return 0;
  if (node->type != YAML_MAPPING_NODE) {
    snprintf(w->msg, w->len, "%s:%zu: expected a mapping of options (key: value)", w->path, (size_t)node->start_mark.line + 1);
    return 1;
  }
  for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
    yaml_node_t *key = yaml_document_get_node(w->doc, pair->key), *val = yaml_document_get_node(w->doc, pair->value);
    const char  *k;
    size_t       line;
    char         name[512];

    if (!key || !val) {
      snprintf(w->msg, w->len, "%s: corrupt YAML document", w->path);
      return 1;
    }
    line = (size_t)key->start_mark.line + 1;
    if (key->type != YAML_SCALAR_NODE) {
      snprintf(w->msg, w->len, "%s:%zu: a key must be a plain name", w->path, line);
      return 1;
    }
    k = (const char *)key->data.scalar.value;
    if (!strncmp(k, "$$", 2)) continue;
    if (!strcmp(k, "<<")) {
      if (val->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = val->data.sequence.items.start; it < val->data.sequence.items.top; it++) {
          yaml_node_t *item = yaml_document_get_node(w->doc, *it);

          if (!item || item->type != YAML_MAPPING_NODE) {
            snprintf(w->msg, w->len, "%s:%zu: the merge key << takes a mapping or a list of mappings", w->path, line);
            return 1;
          }
          if (SLYAMLWalkMapping(w, item, prefix, depth + 1)) return 1;
        }
      } else if (val->type == YAML_MAPPING_NODE) {
        if (SLYAMLWalkMapping(w, val, prefix, depth + 1)) return 1;
      } else {
        snprintf(w->msg, w->len, "%s:%zu: the merge key << takes a mapping or a list of mappings", w->path, line);
        return 1;
      }
      continue;
    }
    if (snprintf(name, sizeof(name), "%s%s", prefix, k) >= (int)sizeof(name)) {
      snprintf(w->msg, w->len, "%s:%zu: key too long", w->path, line);
      return 1;
    }
    if (val->type == YAML_MAPPING_NODE) {
      char sub[520];

      if (!(isalpha((unsigned char)k[0]) || (prefix[0] && isdigit((unsigned char)k[0])))) { /* PetscOptionsPrefixPush */
        snprintf(w->msg, w->len, "%s:%zu: key '%s' of a nested mapping must start with a letter", w->path, line, k);
        return 1;
      }
      snprintf(sub, sizeof(sub), "%s_", name);
      if (SLYAMLWalkMapping(w, val, sub, depth + 1)) return 1;
      continue;
    }
    if (val->type == YAML_SEQUENCE_NODE) { /* a list: scalars, or one-pair mappings (each also a prefix) */
      for (yaml_node_item_t *it = val->data.sequence.items.start; it < val->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        size_t       iline;

        if (!item) {
          snprintf(w->msg, w->len, "%s: corrupt YAML document", w->path);
          return 1;
        }
        iline = (size_t)item->start_mark.line + 1;
        if (item->type == YAML_SCALAR_NODE) continue;
        if (item->type != YAML_MAPPING_NODE) {
          snprintf(w->msg, w->len, "%s:%zu: an item of the list %s must be a value or one key: value pair", w->path, iline, k);
          return 1;
        }
        if (item->data.mapping.pairs.top - item->data.mapping.pairs.start > 1) {
          snprintf(w->msg, w->len, "%s:%zu: an item of the list %s holds more than one key: value pair", w->path, iline, k);
          return 1;
        }
        if (item->data.mapping.pairs.top > item->data.mapping.pairs.start) {
          yaml_node_t *ik = yaml_document_get_node(w->doc, item->data.mapping.pairs.start->key);
          char         sub[520];

          if (!ik || ik->type != YAML_SCALAR_NODE || !strcmp((const char *)ik->data.scalar.value, "<<")) {
            snprintf(w->msg, w->len, "%s:%zu: an item of the list %s must be a value or one key: value pair", w->path, iline, k);
            return 1;
          }
          snprintf(sub, sizeof(sub), "%s_", name);
          if (SLYAMLWalkMapping(w, item, sub, depth + 1)) return 1;
        }
      }
    } else if (val->type != YAML_SCALAR_NODE) {
      snprintf(w->msg, w->len, "%s:%zu: unsupported YAML value of %s", w->path, line, k);
      return 1;
    }
    if (SLYAMLAdd(w, name, line)) return 1;
  }
  return 0;
}

/* Every document of the file, as PETSc reads them (until a document without a root). */
static int SLCheckYAML(const char path[], const unsigned char *b, size_t n, char msg[], size_t len)
{
  yaml_parser_t parser;
  SLYAMLWalk    w   = {path, NULL, NULL, 0, 0, msg, len};
  int           err = 0;

  if (!yaml_parser_initialize(&parser)) {
    snprintf(msg, len, "%s: cannot initialize the YAML parser", path);
    return 1;
  }
  yaml_parser_set_input_string(&parser, b, n);
  while (!err) {
    yaml_document_t doc;
    yaml_node_t    *root;

    if (!yaml_parser_load(&parser, &doc)) {
      size_t line = (size_t)parser.problem_mark.line + 1;

      if (parser.context) snprintf(msg, len, "%s:%zu: YAML syntax error: %s (%s, line %zu)", path, line, parser.problem ? parser.problem : "unknown problem", parser.context, (size_t)parser.context_mark.line + 1);
      else snprintf(msg, len, "%s:%zu: YAML syntax error: %s", path, line, parser.problem ? parser.problem : "unknown problem");
      err = 1;
      break;
    }
    root  = yaml_document_get_root_node(&doc);
    w.doc = &doc;
    if (root) err = SLYAMLWalkMapping(&w, root, "", 0);
    yaml_document_delete(&doc);
    if (!root) break;
  }
  for (size_t i = 0; i < w.n; i++) free(w.opt[i].name);
  free(w.opt);
  yaml_parser_delete(&parser);
  return err;
}

static int SLEndsWith(const char s[], const char suffix[])
{
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && !strcmp(s + a - b, suffix);
}

int SLOptionsFileCheck(const char path[], int yaml, char msg[], size_t len)
{
  FILE          *fp = fopen(path, "rb");
  unsigned char *b  = NULL;
  size_t         n = 0, cap = 0;
  int            err;

  msg[0] = 0;
  if (!fp) {
    snprintf(msg, len, "cannot open options file %s: %s", path, strerror(errno));
    return 1;
  }
  for (;;) {
    size_t got;
    if (n == cap) {
      unsigned char *more = realloc(b, cap = 2 * cap + 65536);
      if (!more) {
        free(b);
        fclose(fp);
        snprintf(msg, len, "%s: out of memory reading it", path);
        return 1;
      }
      b = more;
    }
    got = fread(b + n, 1, cap - n, fp);
    n += got;
    if (!got) break;
  }
  fclose(fp);
  err = SLCheckText(path, b, n, msg, len);
  if (!err && yaml) err = SLCheckYAML(path, b, n, msg, len);
  free(b);
  return err;
}

int SLOptionsFilesCheck(int argc, char **argv, char msg[], size_t len)
{
  msg[0] = 0;
  for (int i = 1; i + 1 < argc; i++) {
    int yaml;

    if (!strcmp(argv[i], "-options_file_yaml")) yaml = 1;
    else if (!strcmp(argv[i], "-options_file")) yaml = SLEndsWith(argv[i + 1], ".yaml") || SLEndsWith(argv[i + 1], ".yml");
    else continue;
    if (SLOptionsFileCheck(argv[i + 1], yaml, msg, len)) return 1;
    i++;
  }
  return 0;
}
