/*
 * NAME
 *	lab_ntlm - the NTLM CHALLENGE message a Windows mail server sends
 *
 * DESCRIPTION
 *	An Exchange server answers "AUTH NTLM <NEGOTIATE>" with an NTLMSSP
 *	CHALLENGE message (MS-NLMP 2.2.1.2) whose TargetInfo names the host,
 *	its domain and its Windows build: exactly what a scanner's NTLM
 *	information-disclosure check reads. The lab's message describes host
 *	MAIL01 (mail01.lab.test) in domain LAB (lab.test) on Windows 10.0
 *	build 17763 (Server 2019), with a fresh random server challenge.
 */
#ifndef LAB_NTLM_H
#define LAB_NTLM_H

#include <stddef.h>

#define LAB_NTLM_NB_DOMAIN    "LAB"
#define LAB_NTLM_NB_COMPUTER  "MAIL01"
#define LAB_NTLM_DNS_DOMAIN   "lab.test"
#define LAB_NTLM_DNS_COMPUTER "mail01.lab.test"

/* The CHALLENGE message, base64-encoded (malloc'ed; NULL on allocation failure). */
char *lab_ntlm_challenge_base64(void);

#endif
