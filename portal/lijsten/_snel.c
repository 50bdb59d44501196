/*
 * portal.lijsten._snel: the reader's inner loops, in C.
 *
 * Pure Python reads and checks a 50,000-row list at about 10 µs a row; most of that is making
 * and hashing a million fresh strings. These functions make fewer objects, shared where equal,
 * and scan bytes before any Python object exists. Each has a plain definition in reader.py (the csv module, zip, a
 * regular expression) that it must equal; tests/test_snelle_paden.py holds them equal on generated input,
 * and the reader falls back to the plain definition whenever this one declines (returns None).
 *
 * csv_kolommen(data, sep, max_cols, max_rows, field_limit) -> list[list[str]] | None
 *     UTF-8 text of one width without empty lines, quoted or not: the columns (title row
 *     included), as the csv module (delimiter=sep, quotechar '"', doublequote, strict=False)
 *     would give them transposed; line ends at the very end are dropped, as the reader drops
 *     empty trailing rows. Equal values in a column are one string object (a small table per
 *     column, up to TABLE_MAX distinct values): code, name and date columns repeat a lot, and
 *     the validator's sets and dicts over them then compare by identity with a cached hash.
 *     None for anything else: an empty line, rows of different widths, more than max_cols
 *     columns or max_rows + 1 rows, a field over field_limit bytes, invalid UTF-8.
 *
 * transponeer(rows) -> list[list] | None
 *     Rows of one width (calamine's grid, the csv module's rows) as columns, like list(zip(*rows))
 *     but lists, and with equal values in a column made one object (texts, numbers and dates of
 *     exact types; numbers bit for bit), for the same reason as above. None when the widths differ.
 *
 * eerste(values) -> list[tuple[int, int]]
 *     (i, first i) for every value equal to an earlier one (None left out): the duplicate rules'
 *     one pass, with a dict as validate._eerste keeps one, without a Python loop.
 *
 * langste_tekst(columns) -> int
 *     The length of the longest text cell: the reader's cell length limit, checked on every cell.
 *
 * celrefs_gewoon(xml, prefix, digits) -> bool
 *     True when every <c and <row tag of the sheet starts with r="…" of at most one column letter
 *     and 1..digits digits: the same as
 *         not re.search(rb'<' + prefix + rb'(?:c|row)(?! r="[A-Z]?[0-9]{1,%d}")[\s>/]' % digits, xml)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <stdint.h>
#include <string.h>

#define TABLE_MAX 4096          /* distinct values shared per column; later ones are made anew */
#define TABLE_SIZE 8192         /* open addressing, load factor <= 1/2 */
#define TABLE_COLS 64           /* columns that get a table (256 KB each); a real list has ~20 */
#define MAX_PROBES 32           /* a longer run of taken slots: not shared. Values made to collide
                                 * (FNV and float hashes can be) cost 32 steps a cell, not 4,096. */

typedef struct {
    uint64_t hash;
    const char *ptr;
    Py_ssize_t len;
    PyObject *str;              /* a reference owned by the table; NULL = empty slot */
} Slot;

typedef struct {
    Slot *slots;
    int used;
    int looked_up;              /* lookups since the table filled up, and how many found a value */
    int found;
} Table;

static void
free_table(Table *t)
{
    if (t->slots == NULL)
        return;
    for (size_t i = 0; i < TABLE_SIZE; i++)
        Py_XDECREF(t->slots[i].str);
    PyMem_Free(t->slots);
    t->slots = NULL;
}

/* A string of p[0:n]: ASCII copied straight in, anything else through the UTF-8 decoder. */
static inline PyObject *
new_str(const char *p, Py_ssize_t n, int ascii)
{
    if (!ascii)
        return PyUnicode_DecodeUTF8(p, n, "strict");
    PyObject *s = PyUnicode_New(n, 127);
    if (s != NULL)
        memcpy(PyUnicode_1BYTE_DATA(s), p, (size_t)n);
    return s;
}

/* A new reference to the string of p[0:n], shared with equal earlier cells of the column (t may
 * be NULL: no table). A new value is remembered only when `onthouden` (p points into the input,
 * which outlives the table). */
static PyObject *
cell(Table *t, const char *p, Py_ssize_t n, int onthouden)
{
    /* FNV-1a, 64 bit (the values are short), and whether the cell is ASCII, in one pass. */
    uint64_t h = 1469598103934665603ULL;
    unsigned char any = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        unsigned char b = (unsigned char)p[k];
        any |= b;
        h ^= b;
        h *= 1099511628211ULL;
    }
    int ascii = any < 0x80;
    if (t == NULL || t->slots == NULL)
        return new_str(p, n, ascii);
    size_t i = (size_t)h & (TABLE_SIZE - 1);
    int probes = 0;
    for (;;) {
        Slot *s = &t->slots[i];
        if (s->str == NULL)
            break;
        if (s->hash == h && s->len == n && memcmp(s->ptr, p, (size_t)n) == 0) {
            if (t->used == TABLE_MAX)
                t->found++;
            Py_INCREF(s->str);
            return s->str;
        }
        if (++probes == MAX_PROBES)
            return new_str(p, n, ascii);
        i = (i + 1) & (TABLE_SIZE - 1);
    }
    PyObject *str = new_str(p, n, ascii);
    if (str == NULL)
        return NULL;
    if (!onthouden)
        return str;
    if (t->used < TABLE_MAX) {
        Slot *s = &t->slots[i];
        s->hash = h;
        s->ptr = p;
        s->len = n;
        s->str = str;
        Py_INCREF(str);
        t->used++;
    } else if (++t->looked_up == 1024 && t->found < 512) {
        /* A full table that rarely helps (a column of distinct values: numbers, e-mail
         * addresses): the rest of the column is made without looking. */
        free_table(t);
    }
    return str;
}

static void
free_tables(Table *tables, Py_ssize_t width)
{
    if (tables == NULL)
        return;
    for (Py_ssize_t j = 0; j < width; j++)
        free_table(&tables[j]);
    PyMem_Free(tables);
}

/* The cells of one record, made before the record's width is known. */
typedef struct {
    PyObject **items;
    Py_ssize_t n, cap;
} Record;

static void
record_clear(Record *r)
{
    for (Py_ssize_t k = 0; k < r->n; k++)
        Py_DECREF(r->items[k]);
    r->n = 0;
}

/* The content of a field that is not one span of the input ("" in quotes, text after a closing
 * quote): collected here, and never put in a column's table (the table keeps pointers). */
typedef struct {
    char *buf;
    size_t len, cap;
} Scratch;

static int
scratch_add(Scratch *s, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (s->len + n > s->cap) {
        size_t cap = (s->len + n) * 2 + 64;
        char *b = PyMem_Realloc(s->buf, cap);
        if (b == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    return 0;
}

/*
 * The csv module's reader for delimiter=sep, quotechar='"', doublequote=True, strict=False (what
 * reader.py uses), over the whole text: a field that starts with a quote runs to the next lone
 * quote ("" is one quote; line breaks inside are kept); text after that closing quote is added
 * to the field; elsewhere a quote is an ordinary character; a record ends at \r, \n or \r\n
 * outside quotes; at the end of the text an open field ends where the text ends.
 */
static PyObject *
csv_kolommen(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    int sep;
    Py_ssize_t max_cols, max_rows, veld_max;
    if (!PyArg_ParseTuple(args, "y*Cnnn", &buf, &sep, &max_cols, &max_rows, &veld_max))
        return NULL;
    const char *p = buf.buf;
    const char *end = p + buf.len;
    PyObject *result = NULL;
    Table *tables = NULL;
    Py_ssize_t width = -1, rows = 0;
    Record rec = {NULL, 0, 0};
    Scratch scratch = {NULL, 0, 0};
    int decline = 0;

    if (sep > 127 || sep == '"' || sep == '\r' || sep == '\n' || buf.len == 0 || max_cols < 1 || max_rows < 0) {
        decline = 1;
        goto done;
    }
    rec.cap = max_cols;
    rec.items = PyMem_Calloc((size_t)rec.cap, sizeof(PyObject *));
    if (rec.items == NULL) {
        PyErr_NoMemory();
        goto done;
    }

    while (p < end) {
        /* A record. Only line ends from here to the end: those are empty lines, dropped anyway. */
        const char *q = p;
        while (q < end && (*q == '\r' || *q == '\n'))
            q++;
        if (q == end)
            break;
        if (q != p) {
            decline = 1;            /* an empty line: the csv module gives [] for it */
            goto done;
        }
        Table *tabel = NULL;
        int record_end = 0;
        while (!record_end) {
            /* A field: p is at its first character (or at the end of the text). */
            if (rec.n == rec.cap) {
                decline = 1;        /* more than max_cols fields */
                goto done;
            }
            tabel = (rows > 0 && tables != NULL && rec.n < width) ? &tables[rec.n] : NULL;
            const char *begin;
            Py_ssize_t n;
            int in_scratch = 0;
            if (p < end && *p == '"') {
                p++;
                begin = p;
                scratch.len = 0;
                for (;;) {
                    const char *quote = memchr(p, '"', (size_t)(end - p));
                    if (quote == NULL) {                    /* open at the end of the text */
                        if (in_scratch && scratch_add(&scratch, p, (size_t)(end - p)) < 0)
                            goto done;
                        n = end - begin;
                        p = end;
                        record_end = 1;
                        break;
                    }
                    if (quote + 1 < end && quote[1] == '"') {   /* "" is one quote */
                        if (!in_scratch) {
                            in_scratch = 1;
                            if (scratch_add(&scratch, begin, (size_t)(quote + 1 - begin)) < 0)
                                goto done;
                        } else if (scratch_add(&scratch, p, (size_t)(quote + 1 - p)) < 0) {
                            goto done;
                        }
                        p = quote + 2;
                        continue;
                    }
                    /* The closing quote. */
                    if (in_scratch && scratch_add(&scratch, p, (size_t)(quote - p)) < 0)
                        goto done;
                    n = quote - begin;
                    p = quote + 1;
                    if (p < end && *p != sep && *p != '\r' && *p != '\n') {
                        /* Text after the closing quote belongs to the field (strict=False). */
                        const char *t = p;
                        while (t < end && *t != sep && *t != '\r' && *t != '\n')
                            t++;
                        if (!in_scratch) {
                            in_scratch = 1;
                            if (scratch_add(&scratch, begin, (size_t)n) < 0)
                                goto done;
                        }
                        if (scratch_add(&scratch, p, (size_t)(t - p)) < 0)
                            goto done;
                        p = t;
                    }
                    break;
                }
                if (in_scratch) {
                    begin = scratch.buf;
                    n = (Py_ssize_t)scratch.len;
                }
            } else {
                begin = p;
                while (p < end && *p != sep && *p != '\r' && *p != '\n')
                    p++;
                n = p - begin;
            }
            if (n > veld_max) {
                decline = 1;        /* the csv module's field size limit: its error decides */
                goto done;
            }
            PyObject *v = cell(tabel, begin, n, !in_scratch);
            if (v == NULL)
                goto done;
            rec.items[rec.n++] = v;
            /* What ends the field. */
            if (p >= end) {
                record_end = 1;
            } else if (*p == sep) {
                p++;
                if (p == end) {     /* "a;" at the very end: one more, empty field */
                    if (rec.n == rec.cap) {
                        decline = 1;
                        goto done;
                    }
                    PyObject *leeg = PyUnicode_New(0, 127);
                    if (leeg == NULL)
                        goto done;
                    rec.items[rec.n++] = leeg;
                    record_end = 1;
                }
            } else if (!record_end) {                   /* \r, \n or \r\n */
                if (*p == '\r' && p + 1 < end && p[1] == '\n')
                    p++;
                p++;
                record_end = 1;
            }
        }
        /* The record is complete. */
        if (rows == 0) {
            width = rec.n;
            result = PyList_New(width);
            if (result == NULL)
                goto done;
            for (Py_ssize_t j = 0; j < width; j++) {
                PyObject *kolom = PyList_New(0);
                if (kolom == NULL)
                    goto done;
                PyList_SET_ITEM(result, j, kolom);
            }
            tables = PyMem_Calloc((size_t)width, sizeof(Table));
            if (tables == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            for (Py_ssize_t j = 0; j < width && j < TABLE_COLS; j++) {
                tables[j].slots = PyMem_Calloc(TABLE_SIZE, sizeof(Slot));
                if (tables[j].slots == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
            }
        } else if (rec.n != width) {
            decline = 1;            /* rows of other widths */
            goto done;
        }
        if (rows++ > max_rows) {         /* (rows > max_rows + 1 once counted; no overflow) */
            decline = 1;
            goto done;
        }
        for (Py_ssize_t j = 0; j < width; j++) {
            if (PyList_Append(PyList_GET_ITEM(result, j), rec.items[j]) < 0)
                goto done;
        }
        record_clear(&rec);
    }
    if (rows == 0)
        decline = 1;

done:
    free_tables(tables, width > 0 ? width : 0);
    if (rec.items != NULL) {
        record_clear(&rec);
        PyMem_Free(rec.items);
    }
    PyMem_Free(scratch.buf);
    PyBuffer_Release(&buf);
    if (decline || PyErr_Occurred()) {
        Py_XDECREF(result);
        if (decline || PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        return NULL;
    }
    return result;
}

static inline int
is_space(char c)
{
    /* \s of a bytes regular expression */
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static PyObject *
celrefs_gewoon(PyObject *self, PyObject *args)
{
    Py_buffer xml, prefix;
    int digits;
    if (!PyArg_ParseTuple(args, "y*y*i", &xml, &prefix, &digits))
        return NULL;
    const char *p = xml.buf, *end = p + xml.len;
    const char *pre = prefix.buf;
    Py_ssize_t npre = prefix.len;
    int gewoon = 1;

    /* Only bytes are read: other threads (requests of the same worker, calamine) may run. */
    Py_BEGIN_ALLOW_THREADS
    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        const char *q = p + 1;
        p = q;
        if (end - q < npre || memcmp(q, pre, (size_t)npre) != 0)
            continue;
        q += npre;
        if (q < end && *q == 'c')
            q += 1;
        else if (end - q >= 3 && q[0] == 'r' && q[1] == 'o' && q[2] == 'w')
            q += 3;
        else
            continue;
        if (q >= end || !(is_space(*q) || *q == '>' || *q == '/'))
            continue;                        /* <cols, <rowBreaks, …: not a cell or row */
        /* The usual start: ' r="' [A-Z]? [0-9]{1,digits} '"' */
        if (end - q >= 4 && memcmp(q, " r=\"", 4) == 0) {
            const char *r = q + 4;
            if (r < end && *r >= 'A' && *r <= 'Z')
                r++;
            int n = 0;
            while (r < end && *r >= '0' && *r <= '9' && n <= digits) {
                r++;
                n++;
            }
            if (n >= 1 && n <= digits && r < end && *r == '"')
                continue;
        }
        gewoon = 0;
        break;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&xml);
    PyBuffer_Release(&prefix);
    return PyBool_FromLong(gewoon);
}

/* transponeer: rows -> columns, equal values in a column made one object. */
typedef struct {
    Py_hash_t hash;
    PyObject *str;              /* the shared value; borrowed: the rows keep it alive */
} StrSlot;

/* Cell values that are shared: texts, numbers and dates (what calamine gives), of exact types,
 * and datetimes only when naive with fold 0. Hashing and comparing these runs no Python code (an
 * aware datetime's tzinfo could: it might change the rows under us), and values equal by == are
 * then the same value (an aware 12:00+00:00 equals 13:00+01:00, fold 1 equals fold 0). */
static inline int
deelbaar(PyObject *v)
{
    if (PyUnicode_CheckExact(v) || PyFloat_CheckExact(v) || PyDate_CheckExact(v))
        return 1;
    return PyDateTime_CheckExact(v) && PyDateTime_DATE_GET_TZINFO(v) == Py_None
        && PyDateTime_DATE_GET_FOLD(v) == 0;
}

/* Equal and of one type; numbers bit for bit (0.0 and -0.0 stay apart, as they print apart). */
static inline int
gelijk(PyObject *a, PyObject *b)
{
    if (a == b)
        return 1;
    if (Py_TYPE(a) != Py_TYPE(b))
        return 0;
    if (Py_TYPE(a) == &PyUnicode_Type)
        return PyUnicode_Compare(a, b) == 0;
    if (Py_TYPE(a) == &PyFloat_Type) {
        double x = PyFloat_AS_DOUBLE(a), y = PyFloat_AS_DOUBLE(b);
        return memcmp(&x, &y, sizeof(double)) == 0;
    }
    int r = PyObject_RichCompareBool(a, b, Py_EQ);
    if (r < 0)
        PyErr_Clear();          /* (dates of exact types do not fail; if one did: not equal) */
    return r == 1;
}

static PyObject *
transponeer(PyObject *self, PyObject *arg)
{
    if (!PyList_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "transponeer: a list of rows");
        return NULL;
    }
    Py_ssize_t rows = PyList_GET_SIZE(arg), width = 0;
    for (Py_ssize_t i = 0; i < rows; i++) {
        PyObject *rij = PyList_GET_ITEM(arg, i);
        if (!PyList_Check(rij) && !PyTuple_Check(rij))
            Py_RETURN_NONE;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(rij);
        if (i == 0)
            width = n;
        else if (n != width)
            Py_RETURN_NONE;                     /* rows of other widths: not ours to pad */
    }
    PyObject *result = PyList_New(width);
    if (result == NULL)
        return NULL;
    StrSlot *slots = NULL;
    int *used = NULL;
    for (Py_ssize_t j = 0; j < width; j++) {
        PyObject *kolom = PyList_New(rows);
        if (kolom == NULL)
            goto fail;
        PyList_SET_ITEM(result, j, kolom);
    }
    Py_ssize_t tabellen = width < TABLE_COLS ? width : TABLE_COLS;
    slots = PyMem_Calloc((size_t)(tabellen ? tabellen : 1) * TABLE_SIZE, sizeof(StrSlot));
    used = PyMem_Calloc((size_t)(tabellen ? tabellen : 1), sizeof(int));
    if (slots == NULL || used == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < rows; i++) {
        PyObject **cellen = PySequence_Fast_ITEMS(PyList_GET_ITEM(arg, i));
        for (Py_ssize_t j = 0; j < width; j++) {
            PyObject *v = cellen[j];
            if (j < tabellen && deelbaar(v)) {
                Py_hash_t h = PyObject_Hash(v);     /* cached in v: later sets reuse it */
                if (h == -1)
                    goto fail;
                StrSlot *tabel = slots + (size_t)j * TABLE_SIZE;
                size_t k = (size_t)h & (TABLE_SIZE - 1);
                for (int probes = 0; probes < MAX_PROBES; probes++) {
                    StrSlot *s = &tabel[k];
                    if (s->str == NULL) {
                        if (used[j] < TABLE_MAX) {
                            s->hash = h;
                            s->str = v;
                            used[j]++;
                        }
                        break;
                    }
                    if (s->hash == h && gelijk(s->str, v)) {
                        v = s->str;
                        break;
                    }
                    k = (k + 1) & (TABLE_SIZE - 1);
                }
            }
            Py_INCREF(v);
            PyList_SET_ITEM(PyList_GET_ITEM(result, j), i, v);
        }
    }
    PyMem_Free(slots);
    PyMem_Free(used);
    return result;

fail:
    PyMem_Free(slots);
    PyMem_Free(used);
    Py_DECREF(result);
    return NULL;
}

/* langste_tekst: the length of the longest text cell (in characters), 0 when there is none. */
static PyObject *
langste_tekst(PyObject *self, PyObject *arg)
{
    PyObject *kolommen = PySequence_Fast(arg, "langste_tekst: a list of columns");
    if (kolommen == NULL)
        return NULL;
    Py_ssize_t langste = 0;
    for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(kolommen); j++) {
        PyObject *kolom = PySequence_Fast(PySequence_Fast_GET_ITEM(kolommen, j), "langste_tekst: a column");
        if (kolom == NULL) {
            Py_DECREF(kolommen);
            return NULL;
        }
        PyObject **cellen = PySequence_Fast_ITEMS(kolom);
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(kolom); i++) {
            if (PyUnicode_Check(cellen[i]) && PyUnicode_GET_LENGTH(cellen[i]) > langste)
                langste = PyUnicode_GET_LENGTH(cellen[i]);
        }
        Py_DECREF(kolom);
    }
    Py_DECREF(kolommen);
    return PyLong_FromSsize_t(langste);
}

/* eerste: (i, first i) for every value equal to an earlier one (None left out), in the order of i.
 * A dict from value to its first position, as the Python version in validate.py keeps. */
static PyObject *
eerste(PyObject *self, PyObject *arg)
{
    PyObject *waarden = PySequence_Fast(arg, "eerste: a list");
    if (waarden == NULL)
        return NULL;
    PyObject *gezien = PyDict_New();
    PyObject *uit = PyList_New(0);
    if (gezien == NULL || uit == NULL)
        goto fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(waarden);
    for (Py_ssize_t i = 0; i < n; i++) {
        /* Reread the items each time: hashing or comparing a value may run Python code. */
        if (i >= PySequence_Fast_GET_SIZE(waarden))
            break;
        PyObject *v = PySequence_Fast_GET_ITEM(waarden, i);
        if (v == Py_None)
            continue;
        Py_INCREF(v);
        PyObject *plek = PyLong_FromSsize_t(i);
        if (plek == NULL) {
            Py_DECREF(v);
            goto fail;
        }
        PyObject *eerder = PyDict_SetDefault(gezien, v, plek);     /* borrowed */
        Py_DECREF(v);
        if (eerder == NULL) {
            Py_DECREF(plek);
            goto fail;
        }
        if (eerder != plek) {
            PyObject *paar = PyTuple_Pack(2, plek, eerder);
            if (paar == NULL || PyList_Append(uit, paar) < 0) {
                Py_XDECREF(paar);
                Py_DECREF(plek);
                goto fail;
            }
            Py_DECREF(paar);
        }
        Py_DECREF(plek);
    }
    Py_DECREF(gezien);
    Py_DECREF(waarden);
    return uit;

fail:
    Py_XDECREF(gezien);
    Py_XDECREF(uit);
    Py_DECREF(waarden);
    return NULL;
}

static PyMethodDef methods[] = {
    {"eerste", eerste, METH_O,
     "eerste(values) -> [(i, first i)] for every value equal to an earlier one, None left out."},
    {"langste_tekst", langste_tekst, METH_O,
     "langste_tekst(columns) -> the length of the longest text cell."},
    {"transponeer", transponeer, METH_O,
     "transponeer(rows) -> the columns (lists), equal values in a column one object; None if the rows differ in width."},
    {"csv_kolommen", csv_kolommen, METH_VARARGS,
     "csv_kolommen(data, sep, max_cols, max_rows, field_limit) -> the columns of a CSV text, or None."},
    {"celrefs_gewoon", celrefs_gewoon, METH_VARARGS,
     "celrefs_gewoon(xml, prefix, digits) -> True when every cell and row tag starts with a short r=\"…\"."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_snel", "The leerlinglijst reader's inner loops, in C.", -1, methods,
};

PyMODINIT_FUNC
PyInit__snel(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    return PyModule_Create(&module);
}
