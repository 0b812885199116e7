<?php
// The people the test identity provider knows. mallory's uid begins with alice's: the
// comment-injection test checks that it is never cut down to alice's.
$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => [
        'exampleauth:UserPass',
        'alice:alice-pass' => [
            'uid' => ['alice'],
            'mail' => ['alice@example.org'],
            'email_verified' => ['true'],
            'givenName' => ['Alice'],
            'sn' => ['Liddell'],
            'username' => ['alice'],
        ],
        'mallory:mallory-pass' => [
            'uid' => ['alice.evil'],
            'mail' => ['mallory@example.org'],
            'email_verified' => ['false'],
            'givenName' => ['Mallory'],
            'sn' => ['Evil'],
            'username' => ['mallory'],
        ],
    ],
];
