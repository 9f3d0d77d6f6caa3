/*
 * test_sip_queue.c - omniq_sip's queue definitions (modparam "queue"): what is accepted, what
 * is refused with which reason. The table is the module's own static one, so cases use
 * distinct queue names.
 */
#include "unit.h"
#include "queue.h"

static char why[256];

static const os_queue_t *find(const char *name)
{
	return os_queue_find(name, (int)strlen(name));
}

TEST(queue_full_definition)
{
	const os_queue_t *q;
	CHECK_EQ_INT(os_queue_add(" sales ; skills=sales,en ; priority=10; max_wait=120;"
							  " overflow=reply:486 All Busy", why, sizeof why), 0);
	q = find("sales");
	CHECK(q != NULL);
	if(!q)
		return;
	CHECK_EQ_STR(q->skills, "sales,en");
	CHECK_EQ_INT(q->priority, 10);
	CHECK_EQ_INT(q->max_wait_s, 120);
	CHECK_EQ_INT(q->ovf.kind, OS_OVF_REPLY);
	CHECK_EQ_INT(q->ovf.code, 486);
	CHECK_EQ_STR(q->ovf.text, "All Busy");
}

TEST(queue_defaults)
{
	const os_queue_t *q;
	CHECK_EQ_INT(os_queue_add("plain", why, sizeof why), 0);
	q = find("plain");
	CHECK(q != NULL);
	if(!q)
		return;
	CHECK_EQ_STR(q->skills, "");
	CHECK_EQ_INT(q->priority, 0);
	CHECK_EQ_INT(q->max_wait_s, 0);
	CHECK_EQ_INT(q->ovf.kind, OS_OVF_REPLY);
	CHECK_EQ_INT(q->ovf.code, 480);
	CHECK_EQ_STR(q->ovf.text, "No Agent Available");
	CHECK_EQ_INT(q->closed.kind, OS_OVF_REPLY);
	CHECK_EQ_INT(q->closed.code, 480);
	CHECK_EQ_STR(q->closed.text, "Closed");
}

TEST(queue_overflow_kinds)
{
	const os_queue_t *q;
	CHECK_EQ_INT(os_queue_add("vm; overflow=uri:sip:voicemail@10.0.0.1", why, sizeof why), 0);
	q = find("vm");
	CHECK(q && q->ovf.kind == OS_OVF_URI && !strcmp(q->ovf.target, "sip:voicemail@10.0.0.1"));
	CHECK_EQ_INT(os_queue_add("first; max_wait=5; overflow=queue:plain", why, sizeof why), 0);
	q = find("first");
	CHECK(q && q->ovf.kind == OS_OVF_QUEUE && !strcmp(q->ovf.target, "plain"));
	/* outside business hours: the same three kinds, apart from the overflow */
	CHECK_EQ_INT(os_queue_add("day; overflow=queue:plain; closed=uri:sip:night@10.0.0.2", why,
						 sizeof why),
			0);
	q = find("day");
	CHECK(q && q->closed.kind == OS_OVF_URI && !strcmp(q->closed.target, "sip:night@10.0.0.2")
			&& q->ovf.kind == OS_OVF_QUEUE);
	CHECK_EQ_INT(os_queue_add("day2; closed=queue:plain", why, sizeof why), 0);
	q = find("day2");
	CHECK(q && q->closed.kind == OS_OVF_QUEUE && q->ovf.kind == OS_OVF_REPLY);
	CHECK_EQ_INT(os_queue_add("day3; closed=reply:503 Closed Until Nine", why, sizeof why), 0);
	q = find("day3");
	CHECK(q && q->closed.code == 503 && !strcmp(q->closed.text, "Closed Until Nine"));
	CHECK_EQ_INT(os_queue_check(why, sizeof why), 0);
}

static void refused(const char *def, const char *reason_part)
{
	why[0] = '\0';
	CHECK_EQ_INT(os_queue_add(def, why, sizeof why), -1);
	if(!strstr(why, reason_part))
		CHECK_EQ_STR(why, reason_part);
}

TEST(queue_bad_definitions_refused_with_reason)
{
	refused("", "has no name");
	refused("bad name", "must be 1-64");
	refused("x1; priority=1001", "priority '1001' is not 0..1000");
	refused("x2; priority=ten", "priority 'ten'");
	refused("x3; max_wait=-1", "max_wait '-1'");
	refused("x4; max_wait=86401", "max_wait '86401'");
	refused("x5; colour=blue", "unknown key 'colour'");
	refused("x6; skills", "'skills' is not key=value");
	refused("x7; overflow=voicemail", "is not queue:<name>");
	refused("x8; overflow=reply:48 Short", "reply:<code> <reason>");
	refused("x9; overflow=reply:200 OK", "is not 300..699");
	refused("x10; overflow=reply:480 ", "reply:<code> <reason>");   /* trimmed: no reason */
	refused("x11; overflow=uri:http://x", "is not a sip: URI");
	refused("x12; overflow=queue:bad name", "is not valid");
	refused("x13; closed=voicemail", "closed 'voicemail' is not queue:<name>");
	refused("x14; closed=reply:200 OK", "closed reply code '200' is not 300..699");
	refused("sales", "defined twice");
	/* none of the refused ones exists */
	CHECK(find("x1") == NULL && find("x5") == NULL && find("x11") == NULL);
}

TEST(queue_overflow_to_undefined_queue_refused_at_check)
{
	CHECK_EQ_INT(os_queue_add("dangling; overflow=queue:nowhere", why, sizeof why), 0);
	CHECK_EQ_INT(os_queue_check(why, sizeof why), -1);
	CHECK(strstr(why, "undefined queue 'nowhere'") != NULL);
}

/* The longest skill list a session may have (16 names of 32 bytes) is kept whole: the
 * field was 512 bytes, 16 short of it, and refused such a queue at start. */
TEST(queue_takes_the_longest_skill_list_a_session_may_have)
{
	char def[OMNIQ_SKILLS_BUF + 64], *p;
	const os_queue_t *q;
	int i, j;

	p = def + sprintf(def, "longest; skills=");
	for(i = 0; i < 16; i++) {
		if(i)
			*p++ = ',';
		for(j = 0; j < 32; j++)
			*p++ = (char)('a' + (i + j) % 26);
	}
	*p = '\0';
	CHECK_EQ_INT((int)strlen(def + 16), OMNIQ_SKILLS_BUF - 1);
	CHECK_EQ_INT(os_queue_add(def, why, sizeof why), 0);
	q = find("longest");
	CHECK(q != NULL);
	if(q)
		CHECK_EQ_STR(q->skills, def + 16);
	/* one byte more than any session may have is refused, with the reason */
	def[6] = '2'; /* another queue's name: longest -> longes2 */
	strcpy(p, "x");
	refused(def, "skills too long");
}

UNIT_MAIN()
