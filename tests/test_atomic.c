/* netsave tests: files replaced atomically, alone and as a set, and the
 * lock that keeps two runs off one destination (output/atomic.h). */
#include "tests/output_fixture.h"

/* ---- atomic replacement ---- */

static void
csv_leaves_later_files_alone_when_one_is_a_directory(void **state)
{
    struct fixture *f = *state;
    const char *old = "strategy,stream\nold,contents\n";
    spit(path_in(f, "summary.csv"), old);
    assert_int_equal(mkdir(path_in(f, "values.csv"), 0755), 0);

    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, NULL,
                             err, sizeof err),
        NS_EIO);
    char expected[256];
    snprintf(expected, sizeof expected, "%s/values.csv is a directory", f->dir);
    assert_string_equal(err, expected);

    /* trace.csv was completed before the failure and stays; summary.csv
     * was never reached and is byte for byte what it was. */
    char *text = slurp(path_in(f, "summary.csv"), NULL);
    assert_non_null(text);
    assert_string_equal(text, old);
    free(text);
    struct stat st;
    assert_int_equal(stat(path_in(f, "values.csv"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    static const char *const files[] = {"trace.csv", "values.csv",
                                        "summary.csv"};
    assert_folder_holds(f, files, 3);
}

static void
csv_into_a_missing_folder_fails_cleanly(void **state)
{
    struct fixture *f = *state;
    char err[256];
    const char *missing = path_in(f, "missing");
    assert_int_equal(
        ns_csv_write_results(missing, &f->model, f->results, NULL,
                             err, sizeof err),
        NS_EIO);
    char expected[256];
    snprintf(expected, sizeof expected,
             "cannot create a file in %s: No such file or directory", missing);
    assert_string_equal(err, expected);
    assert_folder_holds(f, NULL, 0);
}

static void
fifo_destination_is_refused_and_stays_a_fifo(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(mkfifo(path_in(f, "trace.csv"), 0644), 0);
    assert_int_equal(mkfifo(path_in(f, "results.xlsx"), 0644), 0);

    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, NULL,
                             err, sizeof err),
        NS_EIO);
    char expected[256];
    snprintf(expected, sizeof expected, "%s exists and is not a regular file",
             path_in(f, "trace.csv"));
    assert_string_equal(err, expected);

    assert_int_equal(ns_xlsx_write_results(path_in(f, "results.xlsx"),
                                           &f->model, f->results, NULL, err,
                                           sizeof err),
                     NS_EIO);
    snprintf(expected, sizeof expected, "%s exists and is not a regular file",
             path_in(f, "results.xlsx"));
    assert_string_equal(err, expected);

    struct stat st;
    assert_int_equal(lstat(path_in(f, "trace.csv"), &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(lstat(path_in(f, "results.xlsx"), &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    static const char *const files[] = {"trace.csv", "results.xlsx"};
    assert_folder_holds(f, files, 2);
}

/* Exit codes of the child in the file-size test, so a failure says what
 * went wrong. */
enum child_result {
    CHILD_OK = 0,
    CHILD_SETUP,
    CHILD_WRONG_STATUS,
    CHILD_WRONG_MESSAGE,
};

/* Writes f's CSV files in a child process whose files may not grow past
 * limit bytes, and checks there that the write failed with EFBIG, naming
 * trace.csv (the first file). */
static void
write_csv_under_file_size_limit(const struct fixture *f, rlim_t limit)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* With SIGXFSZ ignored, a write past the limit fails with EFBIG
         * instead of killing the process. */
        struct rlimit lim = {.rlim_cur = limit, .rlim_max = limit};
        if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
            setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(CHILD_SETUP);
        char err[256] = "";
        enum ns_status st = ns_csv_write_results(f->dir, &f->model, f->results,
                                                 NULL,
                                                 err, sizeof err);
        if (st != NS_EIO)
            _exit(CHILD_WRONG_STATUS);
        char expected[256];
        snprintf(expected, sizeof expected, "cannot write %s: %s",
                 path_in(f, "trace.csv"), strerror(EFBIG));
        if (strcmp(err, expected) != 0) {
            fprintf(stderr, "child: got '%s', expected '%s'\n", err, expected);
            _exit(CHILD_WRONG_MESSAGE);
        }
        _exit(CHILD_OK);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), CHILD_OK);
}

static const char old_trace[] =
    "strategy,cycle,state,occupancy\nsoc,0,well,1\n";

/* A big file: the limit is hit while rows are still being written. */
static void
write_failing_under_a_file_size_limit_keeps_the_old_file(void **state)
{
    (void)state; /* this test needs a bigger model than setup's */
    /* 2 strategies x 2001 time points x 3 states: about 300 kB of trace. */
    struct fixture *f = make_fixture(2000);
    assert_non_null(f);
    spit(path_in(f, "trace.csv"), old_trace);

    write_csv_under_file_size_limit(f, 4000);

    char *text = slurp(path_in(f, "trace.csv"), NULL);
    assert_non_null(text);
    assert_string_equal(text, old_trace);
    free(text);
    static const char *const files[] = {"trace.csv"};
    assert_folder_holds(f, files, 1);

    /* Without the limit the same write succeeds and replaces the file. */
    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, NULL,
                             err, sizeof err),
        NS_OK);
    size_t len;
    text = slurp(path_in(f, "trace.csv"), &len);
    assert_non_null(text);
    assert_true(len > 100000);
    free(text);

    void *mine = f;
    teardown(&mine);
}

/* A small file: every row fits in the stdio buffer, so the limit is only
 * hit by the commit's flush. */
static void
commit_failing_under_a_file_size_limit_keeps_the_old_file(void **state)
{
    struct fixture *f = *state;
    spit(path_in(f, "trace.csv"), old_trace);
    size_t len;
    char *text;

    write_csv_under_file_size_limit(f, 300);

    text = slurp(path_in(f, "trace.csv"), &len);
    assert_non_null(text);
    assert_string_equal(text, old_trace);
    free(text);
    static const char *const files[] = {"trace.csv"};
    assert_folder_holds(f, files, 1);
}

/* Creates an empty file name in f's folder. */
static void
touch_in(const struct fixture *f, const char *name)
{
    FILE *fp = fopen(path_in(f, name), "w");
    assert_non_null(fp);
    fclose(fp);
}

/* A pid that names no process: a child that has exited and been reaped. */
static pid_t
dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return pid;
}

static void
atomic_removes_temporaries_of_killed_runs_only(void **state)
{
    struct fixture *f = *state;
    char dead[96], live[96], other[96], foreign[96];
    /* Left by a killed run writing note.txt: removed. */
    snprintf(dead, sizeof dead, ".note.txt.tmp-%ld-abcdef", (long)dead_pid());
    /* Being written by a live process (our parent): kept. */
    snprintf(live, sizeof live, ".note.txt.tmp-%ld-ghijkl", (long)getppid());
    /* A killed run's temporary for another file: not ours to judge now. */
    snprintf(other, sizeof other, ".other.txt.tmp-%ld-mnopqr",
             (long)dead_pid());
    /* A name that only looks similar: kept. */
    snprintf(foreign, sizeof foreign, ".note.txt.tmp-backup");
    const char *made[] = {dead, live, other, foreign};
    for (size_t i = 0; i < 4; i++)
        touch_in(f, made[i]);

    struct ns_atomic a;
    char err[256];
    assert_int_equal(ns_atomic_begin(&a, path_in(f, "note.txt"), 1, err,
                                     sizeof err),
                     NS_OK);
    assert_int_equal(fputs("1\n", a.fp) >= 0, 1);
    assert_int_equal(ns_atomic_commit(&a, err, sizeof err), NS_OK);
    const char *const files[] = {"note.txt", live, other, foreign};
    assert_folder_holds(f, files, 4);
}

static void
atomic_abort_is_safe_on_a_zeroed_struct_and_after_commit(void **state)
{
    struct fixture *f = *state;
    struct ns_atomic a = {0};
    ns_atomic_abort(&a);

    char err[256];
    const char *path = path_in(f, "note.txt");
    assert_int_equal(ns_atomic_begin(&a, path, 1, err, sizeof err), NS_OK);
    assert_non_null(a.fp);
    assert_non_null(strstr(a.tmp_path, "/.note.txt.tmp-"));
    assert_int_equal(fputs("2.718281828459045\n", a.fp) >= 0, 1);
    assert_int_equal(ns_atomic_commit(&a, err, sizeof err), NS_OK);
    assert_null(a.path);
    assert_null(a.tmp_path);
    assert_null(a.fp);
    ns_atomic_abort(&a);

    char *text = slurp(path, NULL);
    assert_non_null(text);
    assert_string_equal(text, "2.718281828459045\n");
    free(text);

    /* An abandoned write leaves the destination as it was. */
    assert_int_equal(ns_atomic_begin(&a, path, 1, err, sizeof err), NS_OK);
    assert_int_equal(fputs("half", a.fp) >= 0, 1);
    ns_atomic_abort(&a);
    text = slurp(path, NULL);
    assert_non_null(text);
    assert_string_equal(text, "2.718281828459045\n");
    free(text);
    static const char *const files[] = {"note.txt"};
    assert_folder_holds(f, files, 1);
}

/* ---- a set of files replaced together ---- */

/* Writes text to name in f's folder, directly. */
static void
put_file(const struct fixture *f, const char *name, const char *text)
{
    FILE *fp = fopen(path_in(f, name), "w");
    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

static void
assert_file_holds(const struct fixture *f, const char *name, const char *text)
{
    size_t len;
    char *got = slurp(path_in(f, name), &len);
    assert_non_null(got);
    assert_string_equal(got, text);
    free(got);
}

/* Begins name into set and writes text to it. */
static void
set_write(const struct fixture *f, struct ns_atomic_set *set,
          const char *name, const char *text)
{
    char err[256];
    struct ns_atomic *a;
    assert_int_equal(
        ns_atomic_set_begin(set, path_in(f, name), 1, &a, err, sizeof err),
        NS_OK);
    assert_true(fputs(text, a->fp) >= 0);
}

static void
set_replaces_files_only_at_commit(void **state)
{
    struct fixture *f = *state;
    put_file(f, "a.csv", "old a\n");
    put_file(f, "b.csv", "old b\n");
    struct ns_atomic_set set = {0};
    set_write(f, &set, "a.csv", "new a\n");
    set_write(f, &set, "b.csv", "new b\n");
    set_write(f, &set, "c.csv", "new c\n");
    /* All written, none committed: the old files are still there. */
    assert_file_holds(f, "a.csv", "old a\n");
    assert_file_holds(f, "b.csv", "old b\n");
    char err[256];
    struct ns_atomic *dup;
    assert_int_equal(ns_atomic_set_begin(&set, path_in(f, "a.csv"), 1, &dup,
                                         err, sizeof err),
                     NS_EIO);
    assert_non_null(strstr(err, "a.csv twice in one run"));
    assert_int_equal(ns_atomic_set_commit(&set, err, sizeof err), NS_OK);
    static const char *const files[] = {"a.csv", "b.csv", "c.csv"};
    assert_folder_holds(f, files, 3);
    assert_file_holds(f, "a.csv", "new a\n");
    assert_file_holds(f, "b.csv", "new b\n");
    assert_file_holds(f, "c.csv", "new c\n");
    ns_atomic_set_abort(&set); /* safe after commit */

    set_write(f, &set, "a.csv", "newer a\n");
    ns_atomic_set_abort(&set);
    assert_folder_holds(f, files, 3);
    assert_file_holds(f, "a.csv", "new a\n");
}

/* A file dropped from a set (the live workbook given up for the static
 * one) leaves no temporary, and its path can be begun again: the commit
 * puts the second attempt in place, with the set's other files. */
static void
set_drop_lets_a_path_be_written_again(void **state)
{
    struct fixture *f = *state;
    put_file(f, "book.xlsx", "old book\n");
    struct ns_atomic_set set = {0};
    set_write(f, &set, "a.csv", "new a\n");
    char err[256];
    struct ns_atomic *first;
    assert_int_equal(ns_atomic_set_begin(&set, path_in(f, "book.xlsx"), 1,
                                         &first, err, sizeof err),
                     NS_OK);
    assert_true(fputs("half a live book\n", first->fp) >= 0);
    ns_atomic_set_drop(&set, first);
    set_write(f, &set, "book.xlsx", "static book\n");
    assert_file_holds(f, "book.xlsx", "old book\n");
    assert_int_equal(ns_atomic_set_commit(&set, err, sizeof err), NS_OK);
    static const char *const files[] = {"a.csv", "book.xlsx"};
    assert_folder_holds(f, files, 2);
    assert_file_holds(f, "book.xlsx", "static book\n");
    assert_file_holds(f, "a.csv", "new a\n");
}

/* Under a file-size limit (in a child) the second, big file cannot be
 * completed: the commit fails and the first, small one, complete, is not
 * put in place either. */
static void
set_failing_on_one_file_replaces_none(void **state)
{
    struct fixture *f = *state;
    put_file(f, "a.csv", "old a\n");
    put_file(f, "b.csv", "old b\n");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit lim = {.rlim_cur = 4096, .rlim_max = 4096};
        if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
            setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(2);
        struct ns_atomic_set set = {0};
        char err[256];
        struct ns_atomic *a, *b;
        if (ns_atomic_set_begin(&set, path_in(f, "a.csv"), 1, &a, err,
                                sizeof err) != NS_OK ||
            ns_atomic_set_begin(&set, path_in(f, "b.csv"), 1, &b, err,
                                sizeof err) != NS_OK)
            _exit(3);
        fputs("new a\n", a->fp);
        for (int i = 0; i < 10000; i++)
            fputs("0.12345678901234567\n", b->fp);
        if (ns_atomic_set_commit(&set, err, sizeof err) != NS_EIO ||
            !strstr(err, "b.csv"))
            _exit(4);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    static const char *const files[] = {"a.csv", "b.csv"};
    assert_folder_holds(f, files, 2);
    assert_file_holds(f, "a.csv", "old a\n");
    assert_file_holds(f, "b.csv", "old b\n");
}

/* ---- the destination lock ---- */

/* Tries to lock dir in a child process, and unlocks it: flock locks belong to open files,
 * so a second open in this process already competes, but a separate
 * process is what two runs are. Returns the child's err text, "" when it
 * got the lock (and released it on exit). */
static void
lock_in_child(const char *dir, char *err, size_t err_size)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        char msg[256] = "";
        struct ns_atomic_lock *l = NULL;
        (void)ns_atomic_lock(dir, &l, msg, sizeof msg);
        ns_atomic_unlock(l);
        ssize_t n = write(fds[1], msg, strlen(msg));
        _exit(n == (ssize_t)strlen(msg) ? 0 : 1);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], err, err_size - 1);
    close(fds[0]);
    err[n > 0 ? n : 0] = '\0';
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
lock_keeps_out_a_second_run_until_unlocked(void **state)
{
    struct fixture *f = *state;
    /* A CSV folder that does not exist yet: the lock sits beside it. */
    const char *out = path_in(f, "out");
    char err[256] = "", want[256];
    snprintf(want, sizeof want,
             "another netsave run is writing to %s; try again when it has "
             "finished",
             out);
    struct ns_atomic_lock *held = NULL, *other = NULL;
    assert_int_equal(ns_atomic_lock(out, &held, err, sizeof err), NS_OK);
    static const char *const lock_file[] = {".out.netsave.lock"};
    assert_folder_holds(f, lock_file, 1);

    /* Another process, and another lock set in this one: refused. */
    lock_in_child(out, err, sizeof err);
    assert_string_equal(err, want);
    err[0] = '\0';
    assert_int_equal(ns_atomic_lock(out, &other, err, sizeof err), NS_EIO);
    assert_string_equal(err, want);
    assert_null(other);

    /* The same destination under another name joins the set it is
     * already in, rather than refusing itself; another destination in
     * the same folder is free. */
    char again[128];
    snprintf(again, sizeof again, "%s/./out/", f->dir);
    assert_int_equal(ns_atomic_lock(again, &held, err, sizeof err), NS_OK);
    assert_int_equal(ns_atomic_lock(path_in(f, "book.xlsx"), &other, err,
                                    sizeof err),
                     NS_OK);
    lock_in_child(path_in(f, "out2"), err, sizeof err);
    assert_string_equal(err, "");

    ns_atomic_unlock(held);
    ns_atomic_unlock(other);
    assert_folder_holds(f, NULL, 0);
    lock_in_child(out, err, sizeof err);
    assert_string_equal(err, "");
    other = NULL;
    assert_int_equal(ns_atomic_lock(out, &other, err, sizeof err), NS_OK);
    ns_atomic_unlock(other);
    ns_atomic_unlock(NULL);
}

/* A lock file left by a killed run (it exists, but no process holds it)
 * does not keep the next run out; a folder that cannot hold one is
 * reported. */
static void
lock_survives_a_killed_run_and_climbs_to_an_existing_folder(void **state)
{
    struct fixture *f = *state;
    touch_in(f, ".book.xlsx.netsave.lock");
    char err[256] = "";
    struct ns_atomic_lock *l = NULL;
    assert_int_equal(
        ns_atomic_lock(path_in(f, "book.xlsx"), &l, err, sizeof err), NS_OK);
    ns_atomic_unlock(l);
    assert_folder_holds(f, NULL, 0);
    l = NULL;
    /* A CSV folder to be made with its parents: locked beside the deepest
     * folder that exists, named after the rest of its path, creating no
     * folder; another new folder under the same missing parent is a
     * different destination, not refused. */
    assert_int_equal(
        ns_atomic_lock(path_in(f, "missing/deeper/out"), &l, err, sizeof err),
        NS_OK);
    static const char *const lock_file[] = {".missing% deeper% out.netsave.lock"};
    assert_folder_holds(f, lock_file, 1);
    struct ns_atomic_lock *other = NULL;
    assert_int_equal(ns_atomic_lock(path_in(f, "missing/deeper/other"), &other,
                                    err, sizeof err),
                     NS_OK);
    ns_atomic_unlock(other);
    struct ns_atomic_lock *same = NULL;
    assert_int_equal(ns_atomic_lock(path_in(f, "missing/deeper/out"), &same,
                                    err, sizeof err),
                     NS_EIO);
    assert_non_null(strstr(err, "another netsave run is writing to"));
    ns_atomic_unlock(l);
    l = NULL;
    touch_in(f, "file");
    assert_int_equal(
        ns_atomic_lock(path_in(f, "file/out"), &l, err, sizeof err), NS_EIO);
    assert_null(l);
    assert_non_null(strstr(err, "cannot lock "));
    assert_non_null(strstr(err, "file/out: Not a directory"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(csv_leaves_later_files_alone_when_one_is_a_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_into_a_missing_folder_fails_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(fifo_destination_is_refused_and_stays_a_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(write_failing_under_a_file_size_limit_keeps_the_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(commit_failing_under_a_file_size_limit_keeps_the_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(atomic_abort_is_safe_on_a_zeroed_struct_and_after_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(atomic_removes_temporaries_of_killed_runs_only, setup, teardown),
        cmocka_unit_test_setup_teardown(set_replaces_files_only_at_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(set_drop_lets_a_path_be_written_again, setup, teardown),
        cmocka_unit_test_setup_teardown(set_failing_on_one_file_replaces_none, setup, teardown),
        cmocka_unit_test_setup_teardown(lock_keeps_out_a_second_run_until_unlocked, setup, teardown),
        cmocka_unit_test_setup_teardown(lock_survives_a_killed_run_and_climbs_to_an_existing_folder, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
